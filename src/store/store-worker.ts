import { parentPort } from 'node:worker_threads';
import { fromMessage } from '../batch/message.js';
import { FlowStore, StoreError } from './store.js';
import type { StoreReply, StoreRequest } from './wire.js';

/**
 * The store's worker thread: owns the DuckDB connection, so appending (DuckDB's appender runs
 * on the calling thread) overlaps with decoding on the main thread. Requests run one at a time,
 * in order.
 */

/**
 * How long after a commit the rollups catch up on their own (rollup-sync.ts): a service
 * committing many small inputs aggregates them together, off the inputs' path. A reader that
 * needs them current asks (`syncRollups`), and closing the store syncs too.
 */
const ROLLUP_SYNC_DELAY_MS = 3000;
const port = parentPort;
if (!port) throw new Error('store-worker must run as a worker thread');

let store: FlowStore | undefined;
let queue: Promise<void> = Promise.resolve();
let syncTimer: NodeJS.Timeout | undefined;

/** Schedules the rollup catch-up after a commit, once per delay. */
function scheduleSync(): void {
  if (syncTimer) return;
  syncTimer = setTimeout(() => {
    syncTimer = undefined;
    // A failure here shows again on the next sync a reader asks for, or at close.
    queue = queue.then(async () => {
      if (store && !store.inputOpen) await store.syncRollups().catch(() => undefined);
      else if (store) scheduleSync();
    });
  }, ROLLUP_SYNC_DELAY_MS);
  syncTimer.unref();
}

async function handle(req: StoreRequest): Promise<StoreReply> {
  try {
    switch (req.op) {
      case 'open':
        store = await FlowStore.open(req.path, req.settings);
        return { id: req.id, ok: true };
      case 'begin':
        return { id: req.id, ok: true, dedup: await need().beginInput(req.sourceId) };
      case 'append':
        await need().append(fromMessage(req.batch));
        return { id: req.id, ok: true };
      case 'appendEncoded':
        await need().appendEncoded(req.batch);
        return { id: req.id, ok: true };
      case 'commit': {
        const value = await need().commit(req.sourceId);
        scheduleSync();
        return { id: req.id, ok: true, value };
      }
      case 'syncRollups':
        return { id: req.id, ok: true, synced: await need().syncRollups() };
      case 'abort':
        await need().abort(req.sourceId);
        return { id: req.id, ok: true };
      case 'query':
        return { id: req.id, ok: true, rows: await need().query(req.sql, req.params) };
      case 'close':
        clearTimeout(syncTimer);
        syncTimer = undefined;
        await store?.close();
        store = undefined;
        return { id: req.id, ok: true };
    }
  } catch (err) {
    return {
      id: req.id,
      ok: false,
      error: err instanceof Error ? err.message : String(err),
      store: err instanceof StoreError,
    };
  }
}

function need(): FlowStore {
  if (!store) throw new Error('store is not open');
  return store;
}

port.on('message', (req: StoreRequest) => {
  queue = queue.then(async () => {
    // A sync asked for while an input is open completes when that input ends (a later request):
    // the queue goes on meanwhile.
    if (req.op === 'syncRollups' && store?.inputOpen) {
      void handle(req).then((reply) => port.postMessage(reply));
      return;
    }
    port.postMessage(await handle(req));
  });
});
