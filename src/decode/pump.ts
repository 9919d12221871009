import type { FlowBatch } from '../batch/flow-batch.js';
import type { DecodeOptions } from '../core/types.js';

/**
 * Feeds each chunk of the stream to a batcher and yields the batches completed after it;
 * `finish` flushes what is left at the end. When reading fails, `abandon` closes the batcher
 * and the batches completed before the failure come out before the error.
 */
export async function* pump(
  stream: AsyncIterable<Buffer>,
  batches: { take(): Iterable<FlowBatch> },
  steps: { feed(chunk: Buffer): void; finish(): void; abandon(): void },
): AsyncGenerator<FlowBatch> {
  try {
    for await (const chunk of stream) {
      steps.feed(chunk);
      yield* batches.take();
    }
    steps.finish();
  } catch (err) {
    steps.abandon();
    yield* batches.take();
    throw err;
  }
  yield* batches.take();
}

/** The batches with `options.enrich` run on them (decoders that do not enrich themselves). */
export async function* enriched(
  batches: AsyncIterable<FlowBatch>,
  options: DecodeOptions,
): AsyncGenerator<FlowBatch> {
  const enrichers = options.enrich?.enrichers ?? [];
  for await (const batch of batches) {
    for (const e of enrichers) e.enrich(batch);
    yield batch;
  }
}
