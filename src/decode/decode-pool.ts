import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker, workerModuleExists } from '../threads/start-worker.js';
import type { SegmentJob, SegmentResult, ToDecodeWorker } from './segment-protocol.js';

interface Lane {
  readonly worker: Worker;
  readonly waiting: Map<number, { resolve(r: SegmentResult): void; reject(e: Error): void }>;
  dead: boolean;
}

/**
 * The decode threads of the process, started on first use and shared by every stream being
 * decoded. A job goes to the thread with the fewest jobs waiting. Threads hold the process
 * open only while they have work.
 */
export class DecodePool {
  private readonly lanes: Lane[] = [];
  private nextJob = 1;
  /** Segments parsed on this pool's threads so far. */
  jobsDone = 0;
  private nextStream = 1;

  constructor(private readonly size: number) {}

  /** A new stream id (a thread keeps per-stream caches until `release`). */
  openStream(): number {
    return this.nextStream++;
  }

  releaseStream(stream: number): void {
    for (const lane of this.lanes) if (!lane.dead) post(lane, { type: 'release', stream });
  }

  /** True when every thread already has `queued` jobs or more. */
  busy(queued: number): boolean {
    if (this.lanes.length < this.size) return false;
    for (const lane of this.lanes) if (lane.dead || lane.waiting.size < queued) return false;
    return true;
  }

  run(job: Omit<SegmentJob, 'type' | 'job'>): Promise<SegmentResult> {
    const lane = this.pick();
    const id = this.nextJob++;
    return new Promise<SegmentResult>((resolve, reject) => {
      if (lane.waiting.size === 0) lane.worker.ref();
      lane.waiting.set(id, { resolve, reject });
      lane.worker.postMessage({ type: 'segment', job: id, ...job } satisfies SegmentJob, [
        job.bytes.buffer as ArrayBuffer,
      ]);
    });
  }

  private pick(): Lane {
    for (let i = this.lanes.length - 1; i >= 0; i--) if (this.lanes[i]!.dead) this.lanes.splice(i, 1);
    while (this.lanes.length < this.size) this.lanes.push(this.start());
    let best = this.lanes[0]!;
    for (const lane of this.lanes) if (lane.waiting.size < best.waiting.size) best = lane;
    return best;
  }

  private start(): Lane {
    const worker = startModuleWorker(import.meta.url, 'decode-worker');
    worker.unref();
    const lane: Lane = { worker, waiting: new Map(), dead: false };
    worker.on('message', (m: SegmentResult) => {
      const w = lane.waiting.get(m.job);
      if (!w) return;
      lane.waiting.delete(m.job);
      this.jobsDone++;
      if (lane.waiting.size === 0) worker.unref();
      w.resolve(m);
    });
    const fail = (err: Error): void => {
      lane.dead = true;
      for (const w of lane.waiting.values()) w.reject(new Error(`decode thread failed: ${err.message}`));
      lane.waiting.clear();
      worker.unref();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    return lane;
  }
}

function post(lane: Lane, m: ToDecodeWorker): void {
  lane.worker.postMessage(m);
}

const pools = new Map<number, DecodePool>();
let shipped: boolean | undefined;

/** The worker module is there (a one-file bundle leaves it out). */
function workerShipped(): boolean {
  shipped ??= workerModuleExists(import.meta.url, 'decode-worker');
  return shipped;
}

/**
 * Decode threads to use when a caller does not say: none on a machine with fewer than four
 * cores, where the cores are already busy with inflating, sinks and the store (measured on two
 * cores, a thread's own costs (copying segments, its JIT warm-up and heap, strings cloned back)
 * cancel what it takes off the main thread); one with four or five cores, two with more. None
 * where the worker module is not shipped (a one-file bundle).
 */
export function defaultDecodeThreads(): number {
  if (!workerShipped()) return 0;
  const cores = availableParallelism();
  return cores >= 6 ? 2 : cores >= 4 ? 1 : 0;
}

/** The process's pool of `threads` threads, or null for none (or no worker module). */
export function decodePool(threads: number): DecodePool | null {
  if (threads <= 0 || !workerShipped()) return null;
  let pool = pools.get(threads);
  if (!pool) {
    pool = new DecodePool(threads);
    pools.set(threads, pool);
  }
  return pool;
}

/** Segments parsed on decode threads so far in this process (tests check threads were used). */
export function decodeThreadJobs(): number {
  let n = 0;
  for (const pool of pools.values()) n += pool.jobsDone;
  return n;
}
