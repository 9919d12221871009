import type { Worker } from 'node:worker_threads';
import type { FlowBatch } from '../../batch/flow-batch.js';
import { toMessage } from '../../batch/message.js';
import type { Sink, SinkCheckpoint, SinkResult } from '../../core/types.js';
import type { DeliverySettings } from '../../delivery/options.js';
import type { SchemaOptions } from '../../schema/types.js';
import { startModuleWorker } from '../../threads/start-worker.js';
import type { OtlpConfig } from './config.js';
import type { FromWorker, ToWorker, WorkerSetup } from './worker-protocol.js';

/** Batches queued per worker beyond the one it is working on. */
const QUEUED_PER_WORKER = 2;

interface Lane {
  readonly worker: Worker;
  outstanding: number;
  fatal?: string;
  result?: SinkResult;
  wake?: () => void;
  exited: boolean;
}

/**
 * The OTLP sink spread over worker threads: the main thread keeps decoding while workers map,
 * encode and send. Batches go round-robin; `write` waits while the chosen worker already has
 * QUEUED_PER_WORKER batches waiting (backpressure reaches the decoder as with one thread).
 * Each worker has its own delivery queue, so in-flight requests are per worker.
 */
export class WorkerPoolSink implements Sink {
  readonly name = 'otlp';
  readonly wantsLineText = true;
  private readonly lanes: Lane[] = [];
  private nextCheckpoint = 1;
  private readonly checkpoints = new Map<number, { results: SinkResult[]; done(r: SinkResult): void }>();
  private next = 0;

  constructor(
    count: number,
    config: OtlpConfig,
    settings: DeliverySettings,
    schema: SchemaOptions,
    private readonly warn: (message: string) => void,
  ) {
    const setup: WorkerSetup = {
      config: {
        ...config,
        url: config.url.href,
        tls: { ...config.tls },
        resource: [...config.resource],
      },
      settings,
      schema,
    };
    for (let i = 0; i < count; i++) {
      const worker = startModuleWorker(import.meta.url, 'worker', { workerData: setup });
      const lane: Lane = { worker, outstanding: 0, exited: false };
      worker.on('message', (m: FromWorker) => this.onMessage(lane, m));
      worker.on('error', (err) => {
        lane.fatal = `otlp worker: ${err.message}`;
        lane.wake?.();
      });
      worker.on('exit', () => {
        lane.exited = true;
        lane.wake?.();
      });
      this.lanes.push(lane);
    }
  }

  async write(batch: FlowBatch): Promise<void> {
    const lane = this.lanes[this.next]!;
    this.next = (this.next + 1) % this.lanes.length;
    while (lane.outstanding >= QUEUED_PER_WORKER && !lane.fatal && !lane.exited) {
      await new Promise<void>((r) => {
        lane.wake = r;
      });
    }
    const fatal = this.lanes.find((l) => l.fatal)?.fatal;
    if (fatal) throw new Error(fatal);
    lane.outstanding++;
    this.send(lane, { type: 'batch', batch: toMessage(batch) });
  }

  async endInput(): Promise<void> {
    for (const lane of this.lanes) this.send(lane, { type: 'flush' });
  }

  async checkpoint(): Promise<SinkCheckpoint> {
    const id = this.nextCheckpoint++;
    const live = this.lanes.filter((l) => !l.exited);
    const settled = new Promise<SinkResult>((resolve) => {
      const results: SinkResult[] = [];
      this.checkpoints.set(id, {
        results,
        done: (r) => {
          results.push(r);
          if (results.length < live.length) return;
          this.checkpoints.delete(id);
          resolve(merge(results, this.lanes.length));
        },
      });
    });
    if (live.length === 0)
      this.checkpoints.get(id)?.done({ delivered: 0, rejected: 0, failed: 0, errors: [] });
    for (const lane of live) this.send(lane, { type: 'checkpoint', id });
    return { settled };
  }

  async close(): Promise<SinkResult> {
    const results = await Promise.all(
      this.lanes.map(
        (lane) =>
          new Promise<SinkResult>((resolve) => {
            const done = (): void => {
              if (lane.result) resolve(lane.result);
              else if (lane.exited || lane.fatal?.startsWith('otlp worker:'))
                resolve({
                  delivered: 0,
                  rejected: 0,
                  failed: 0,
                  errors: [lane.fatal ?? 'otlp worker exited'],
                });
              else return;
              lane.wake = undefined;
            };
            lane.wake = done;
            this.send(lane, { type: 'close' });
            done();
          }),
      ),
    );
    await Promise.all(this.lanes.map((l) => l.worker.terminate()));
    return merge(results, this.lanes.length);
  }

  private send(lane: Lane, m: ToWorker): void {
    if (!lane.exited) lane.worker.postMessage(m);
  }

  private onMessage(lane: Lane, m: FromWorker): void {
    switch (m.type) {
      case 'ack':
        lane.outstanding--;
        break;
      case 'fatal':
        lane.outstanding--;
        lane.fatal = m.message;
        break;
      case 'warn':
        this.warn(m.message);
        break;
      case 'result':
        lane.result = m.result;
        break;
      case 'checkpoint':
        this.checkpoints.get(m.id)?.done(m.result);
        break;
    }
    lane.wake?.();
  }
}

/** One result from the workers': counts and numeric details summed, errors concatenated. */
function merge(results: readonly SinkResult[], workers: number): SinkResult {
  const details: Record<string, number | string> = { workers };
  const errors = new Set<string>();
  let delivered = 0;
  let rejected = 0;
  let failed = 0;
  for (const r of results) {
    delivered += r.delivered;
    rejected += r.rejected;
    failed += r.failed;
    for (const e of r.errors) errors.add(e);
    for (const [k, v] of Object.entries(r.details ?? {})) {
      const prev = details[k];
      details[k] = typeof v === 'number' && typeof prev === 'number' ? prev + v : (prev ?? v);
    }
  }
  return { delivered, rejected, failed, errors: [...errors], details };
}
