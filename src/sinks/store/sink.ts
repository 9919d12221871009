import type { FlowBatch, SourceRef } from '../../batch/flow-batch.js';
import type { ResolvedOptions } from '../../config/options.js';
import { type Sink, type SinkCheckpoint, type SinkResult, settledCheckpoint } from '../../core/types.js';
import { acquireStore } from '../../store/shared.js';
import { DEFAULT_DB } from '../../store/store.js';
import type { SinkContext } from '../registry.js';

/**
 * The `store` sink: batches are staged per input and committed at the input's end, so an input
 * that fails midway leaves the store as it was, and one ingested twice is not counted twice.
 */
export async function create(options: ResolvedOptions, _context: SinkContext): Promise<Sink> {
  const path = typeof options.db === 'string' ? options.db : DEFAULT_DB;
  // The store runs in a worker thread: DuckDB appends overlap with decoding.
  const memoryMb = typeof options['store-memory-mb'] === 'number' ? options['store-memory-mb'] : undefined;
  // Shared with every reader of the same file in this process (store/shared.ts).
  const handle = await acquireStore(path, memoryMb === undefined ? {} : { memoryMb });
  const store = handle.store;
  let delivered = 0;
  let duplicates = 0;
  let rolledBack = 0;
  /** Records handed over that the store failed to keep (a full disk, say). */
  let failed = 0;
  const errors: string[] = [];
  /** The store failed: records it holds uncommitted are lost, not rolled back by choice. */
  let broken = false;
  const pending = new Map<string, number>();
  const fail = (records: number, err: unknown): never => {
    broken = true;
    failed += records;
    const message = err instanceof Error ? err.message : String(err);
    if (!errors.includes(message)) errors.push(message);
    throw err;
  };
  return {
    name: 'store',
    // The store computes each record's uid, and shows record_uid from it.
    derivesColumns: ['record_uid'],
    // Each input is a transaction of the store's one connection.
    oneInputAtATime: true,
    async write(batch: FlowBatch): Promise<void> {
      try {
        await store.append(batch);
      } catch (err) {
        fail(batch.length, err);
      }
      pending.set(batch.source.id, (pending.get(batch.source.id) ?? 0) + batch.length);
    },
    async endInput(source: SourceRef): Promise<void> {
      let committed: { staged: number; added: number };
      try {
        committed = await store.commit(source.id);
      } catch (err) {
        const lost = pending.get(source.id) ?? 0;
        pending.delete(source.id);
        return fail(lost, err);
      }
      const { staged, added } = committed;
      pending.delete(source.id);
      delivered += staged;
      duplicates += staged - added;
    },
    async abortInput(source: SourceRef): Promise<void> {
      rolledBack += pending.get(source.id) ?? 0;
      pending.delete(source.id);
      await store.abort(source.id);
    },
    async checkpoint(): Promise<SinkCheckpoint> {
      // Committed by endInput: what is counted is in the file.
      return settledCheckpoint({ delivered, rejected: 0, failed, errors: [...errors] });
    },
    async close(): Promise<SinkResult> {
      // Inputs never ended (the run stopped) are rolled back; after a store failure they are
      // lost to it, so they count as failed.
      for (const [id, n] of pending) {
        if (broken) failed += n;
        else {
          rolledBack += n;
          await store.abort(id).catch(() => undefined);
        }
      }
      pending.clear();
      try {
        await handle.release();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (!errors.includes(message)) errors.push(message);
      }
      return {
        delivered,
        rejected: 0,
        failed,
        errors,
        details: { db: path, added: delivered - duplicates, duplicates, rolledBack },
      };
    },
  };
}
