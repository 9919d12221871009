import type { FlowBatch } from '../../src/batch/flow-batch.js';
import type { Sink, SinkCheckpoint, SinkResult } from '../../src/core/types.js';
import { registerSink } from '../../src/sinks/registry.js';

/** One record as the test sink saw it. */
export interface Captured {
  readonly source: string;
  readonly position: number;
  readonly srcport: number | null;
  readonly recordId: string | undefined;
}

/** Every record the `capture` sink delivered, across runs, in order. */
export const captured: Captured[] = [];

/**
 * A test sink that keeps each record's provenance; it refuses (fails for good) any batch
 * whose source id contains "poison", like a backend rejecting one message's data.
 */
registerSink({
  name: 'capture',
  summary: 'test: keep records in memory',
  options: [],
  load: async () => ({
    async create(): Promise<Sink> {
      let delivered = 0;
      let staged: Captured[] = [];
      return {
        name: 'capture',
        async write(batch: FlowBatch): Promise<void> {
          if (batch.source.id.includes('poison')) throw new Error('backend refused the batch');
          for (let i = 0; i < batch.length; i++) {
            staged.push({
              source: batch.source.id,
              position: batch.positions[i]!,
              srcport: batch.num('srcport', i),
              recordId: batch.recordIds?.[i],
            });
          }
        },
        async checkpoint(): Promise<SinkCheckpoint> {
          // Delivered only when flushed, like a buffering network sink.
          captured.push(...staged);
          delivered += staged.length;
          staged = [];
          return { settled: Promise.resolve({ delivered, rejected: 0, failed: 0, errors: [] }) };
        },
        async close(): Promise<SinkResult> {
          captured.push(...staged);
          delivered += staged.length;
          staged = [];
          return { delivered, rejected: 0, failed: 0, errors: [] };
        },
      };
    },
  }),
});

export function resetCaptured(): void {
  captured.length = 0;
}
