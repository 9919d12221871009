import type { FlowBatch } from '../../batch/flow-batch.js';
import { type Sink, type SinkCheckpoint, type SinkResult, settledCheckpoint } from '../../core/types.js';

/** Counts and discards. */
export async function create(): Promise<Sink> {
  let delivered = 0;
  return {
    name: 'null',
    async write(batch: FlowBatch): Promise<void> {
      delivered += batch.length;
    },
    async checkpoint(): Promise<SinkCheckpoint> {
      return settledCheckpoint({ delivered, rejected: 0, failed: 0, errors: [] });
    },
    async close(): Promise<SinkResult> {
      return { delivered, rejected: 0, failed: 0, errors: [] };
    },
  };
}
