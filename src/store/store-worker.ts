import { parentPort } from 'node:worker_threads';
import { fromMessage } from '../batch/message.js';
import { FlowStore, StoreError } from './store.js';
import type { StoreReply, StoreRequest } from './wire.js';

/**
 * The store's worker thread: owns the DuckDB connection, so appending (DuckDB's appender runs
 * on the calling thread) overlaps with decoding on the main thread. Requests run one at a time,
 * in order.
 */
const port = parentPort;
if (!port) throw new Error('store-worker must run as a worker thread');

let store: FlowStore | undefined;
let queue: Promise<void> = Promise.resolve();

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
      case 'commit':
        return { id: req.id, ok: true, value: await need().commit(req.sourceId) };
      case 'abort':
        await need().abort(req.sourceId);
        return { id: req.id, ok: true };
      case 'query':
        return { id: req.id, ok: true, rows: await need().query(req.sql, req.params) };
      case 'close':
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
  queue = queue.then(async () => port.postMessage(await handle(req)));
});
