import type { FlowBatch } from '../batch/flow-batch.js';

/** Thrown between batches when a unit is asked to stop (its `stop` signal aborted). */
export class StopRequest extends Error {
  override name = 'StopRequest';
  constructor(signal: AbortSignal) {
    super(String(signal.reason));
  }
}

/**
 * The batches, until `stop` aborts: then a StopRequest, at once, even while the decoder waits
 * for input (stdin that stays open). The decoder is told to return without being waited for.
 */
export async function* stoppable(
  batches: AsyncIterable<FlowBatch>,
  stop?: AbortSignal,
): AsyncGenerator<FlowBatch> {
  if (!stop) {
    yield* batches;
    return;
  }
  const it = batches[Symbol.asyncIterator]();
  // One promise per batch, settled by the batch or by the stop. A race against one long-lived
  // stop promise would leave a reaction on it per batch, each holding its batch until the end.
  let wake: ((next: 'stop') => void) | undefined;
  const stopped = (): void => wake?.('stop');
  stop.addEventListener('abort', stopped, { once: true });
  let done = false;
  try {
    for (;;) {
      if (stop.aborted) throw new StopRequest(stop);
      const next = await new Promise<IteratorResult<FlowBatch> | 'stop'>((resolve, reject) => {
        wake = resolve;
        it.next().then(resolve, reject);
      });
      wake = undefined;
      if (next === 'stop') throw new StopRequest(stop);
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    stop.removeEventListener('abort', stopped);
    // a decoder waiting for input returns once its read ends; nobody waits for that here
    if (!done) it.return?.(undefined).catch(() => undefined);
  }
}
