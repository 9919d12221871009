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
  let stopped: () => void = () => undefined;
  const onStop = new Promise<'stop'>((resolve) => {
    stopped = () => resolve('stop');
  });
  stop.addEventListener('abort', stopped, { once: true });
  let done = false;
  try {
    for (;;) {
      if (stop.aborted) throw new StopRequest(stop);
      const next = await Promise.race([it.next(), onStop]);
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
