import type { Worker } from 'node:worker_threads';
import type { FlowBatch } from '../batch/flow-batch.js';
import { startModuleWorker } from '../threads/start-worker.js';
import { type EncodeContext, encodeBatch, transferList } from './encode.js';
import type { StoreSettings } from './store.js';
import { StoreError } from './store-error.js';
import { uidHighWords } from './uid.js';
import { type QueryParam, type QueryRow, type StoreReply, type StoreRequest, toWire } from './wire.js';

/**
 * Records sent to the worker before `append` waits for the oldest append to finish
 * (backpressure). While DuckDB compresses and writes a row group the worker appends nothing
 * for tens of milliseconds: this much queued lets decoding go on meanwhile (16 batches of
 * 8,192; measured 2.0–2.1 → 1.75–1.8 s for the 1M-record enriched ingest, 2 batches before).
 */
const MAX_IN_FLIGHT_ROWS = 131_072;

type Pending = { resolve(v: StoreReply): void; reject(e: Error): void };
type Request = StoreRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * The store as the `store` sink uses it: a FlowStore living in a worker thread. Appends are
 * posted without waiting (up to MAX_IN_FLIGHT), so the main thread goes on with the next batch
 * while the worker appends this one into DuckDB. Same operations and errors as FlowStore.
 */
export class RemoteStore {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly inFlight: Array<{ reply: Promise<StoreReply>; rows: number }> = [];
  private inFlightRows = 0;
  /** Open inputs: the context their batches are encoded with, or null when the store de-duplicates them. */
  private readonly inputs = new Map<string, EncodeContext | null>();
  private failure: Error | undefined;
  private exited = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: StoreReply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      p?.resolve(reply);
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      this.exited = true;
      this.fail(new Error(`store worker exited (code ${code})`));
    });
  }

  static async open(path: string, settings: StoreSettings = {}): Promise<RemoteStore> {
    const worker = startModuleWorker(import.meta.url, 'store-worker');
    const store = new RemoteStore(worker);
    try {
      await store.call({ op: 'open', path, settings });
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return store;
  }

  async append(batch: FlowBatch): Promise<void> {
    if (this.failure) throw this.failure;
    if (batch.length === 0) return;
    const id = batch.source.id;
    let context = this.inputs.get(id);
    if (context === undefined) {
      // First batch of an input: the worker opens its transaction (and checks for its records).
      await this.drain();
      const reply = await this.call({ op: 'begin', sourceId: id });
      context = reply.ok && reply.dedup ? null : { uidHigh: uidHighWords(id), ingestedAt: Date.now() * 1000 };
      this.inputs.set(id, context);
    }
    if (context) {
      // Encoded here and transferred: cheaper for this thread than serializing the batch's
      // strings, and the worker, the ingest's bottleneck, only appends.
      const encoded = encodeBatch(batch, context);
      this.track(this.send({ op: 'appendEncoded', batch: encoded }, transferList(encoded)), batch.length);
    } else {
      // A re-ingest: the batch is copied as it is (other sinks keep using it) and staged there.
      this.track(this.send({ op: 'append', batch: toWire(batch) }), batch.length);
    }
    while (this.inFlightRows > MAX_IN_FLIGHT_ROWS) await this.settleOldest();
  }

  async commit(sourceId: string): Promise<{ staged: number; added: number }> {
    this.inputs.delete(sourceId);
    await this.drain();
    const reply = await this.call({ op: 'commit', sourceId });
    return reply.ok && reply.value ? reply.value : { staged: 0, added: 0 };
  }

  async abort(sourceId: string): Promise<void> {
    this.inputs.delete(sourceId);
    // Earlier appends of a failed input may have failed too: that is what abort is for.
    await this.drain().catch(() => undefined);
    if (this.failure && this.exited) return;
    await this.call({ op: 'abort', sourceId });
  }

  /** A read query on the worker's own DuckDB instance (see FlowStore.query). */
  async query(sql: string, params: readonly QueryParam[] = []): Promise<readonly QueryRow[]> {
    if (this.failure) throw this.failure;
    const reply = await this.call({ op: 'query', sql, params });
    return reply.ok ? (reply.rows ?? []) : [];
  }

  /**
   * Brings the rollups up to every input committed before the call (see FlowStore.syncRollups);
   * the number of records it added to them.
   */
  async syncRollups(): Promise<number> {
    if (this.failure) throw this.failure;
    const reply = await this.call({ op: 'syncRollups' });
    return reply.ok ? (reply.synced ?? 0) : 0;
  }

  async close(): Promise<void> {
    try {
      await this.drain().catch(() => undefined);
      if (!this.exited) await this.call({ op: 'close' });
    } finally {
      await this.worker.terminate();
    }
  }

  private async drain(): Promise<void> {
    while (this.inFlight.length > 0) await this.settleOldest();
  }

  private async call(req: Request): Promise<StoreReply> {
    return this.check(await this.send(req));
  }

  private track(reply: Promise<StoreReply>, rows: number): void {
    // Settled in order by settleOldest; until then a worker's death must not be an unhandled rejection.
    reply.catch(() => undefined);
    this.inFlight.push({ reply, rows });
    this.inFlightRows += rows;
  }

  /** Waits for the oldest append in flight and throws its error, if it failed. */
  private async settleOldest(): Promise<void> {
    const oldest = this.inFlight.shift();
    if (!oldest) return;
    this.inFlightRows -= oldest.rows;
    this.check(await oldest.reply);
  }

  private check(reply: StoreReply): StoreReply {
    if (reply.ok) return reply;
    throw reply.store ? new StoreError(reply.error) : new Error(reply.error);
  }

  private send(req: Request, transfer: ArrayBuffer[] = []): Promise<StoreReply> {
    if (this.exited) return Promise.reject(this.failure ?? new Error('store worker is gone'));
    const id = this.nextId++;
    return new Promise<StoreReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id } as StoreRequest, transfer);
    });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
