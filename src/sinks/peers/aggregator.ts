import type { FlowBatch } from '../../batch/flow-batch.js';
import { numAt, strAt } from '../../batch/flow-batch.js';

/** One closed bucket: its start (epoch seconds), peer counts by address, records it took. */
export interface PeerBucket {
  readonly start: number;
  readonly counts: Record<string, number>;
  readonly records: number;
}

interface OpenBucket {
  readonly peers: Map<string, Set<string>>;
  records: number;
}

/**
 * Distinct peers per address per time bucket. A record counts when its log-status is OK (or
 * absent) and both `srcaddr` and `dstaddr` are present: each address gains the other as a peer.
 * The record's bucket is that of its `start` time (`end` when start is missing). Buckets older
 * than the newest by more than `horizon` buckets are closed and handed out; `drain` closes the
 * rest. Memory: the open buckets' address sets, never the records.
 */
export class PeerAggregator {
  private readonly open = new Map<number, OpenBucket>();
  private newest = Number.NEGATIVE_INFINITY;
  /** Records skipped: not OK, no addresses, or no time. */
  skipped = 0;
  /** Records that arrived for a bucket already closed: counted in a fresh bucket of the same start. */
  late = 0;
  private readonly closed = new Set<number>();

  constructor(
    private readonly bucketSeconds: number,
    private readonly horizon: number,
  ) {}

  add(batch: FlowBatch): void {
    const src = batch.column('srcaddr');
    const dst = batch.column('dstaddr');
    const status = batch.column('log_status');
    const start = batch.column('start');
    const end = batch.column('end');
    for (let i = 0; i < batch.length; i++) {
      const s = strAt(src, i);
      const d = strAt(dst, i);
      const st = status ? strAt(status, i) : 'OK';
      const t = numAt(start, i) ?? numAt(end, i);
      if (s === null || d === null || (st !== null && st !== 'OK') || t === null) {
        this.skipped++;
        continue;
      }
      const b = Math.floor(t / this.bucketSeconds) * this.bucketSeconds;
      let bucket = this.open.get(b);
      if (!bucket) {
        if (this.closed.has(b)) this.late++;
        bucket = { peers: new Map(), records: 0 };
        this.open.set(b, bucket);
      }
      bucket.records++;
      addPeer(bucket.peers, s, d);
      addPeer(bucket.peers, d, s);
      if (b > this.newest) this.newest = b;
    }
  }

  /** Buckets now past the horizon, oldest first. */
  ready(): PeerBucket[] {
    const limit = this.newest - this.horizon * this.bucketSeconds;
    return this.take((b) => b < limit);
  }

  /** Every open bucket, oldest first (at close). */
  drain(): PeerBucket[] {
    return this.take(() => true);
  }

  get openBuckets(): number {
    return this.open.size;
  }

  private take(which: (start: number) => boolean): PeerBucket[] {
    const starts = [...this.open.keys()].filter(which).sort((a, b) => a - b);
    return starts.map((start) => {
      const bucket = this.open.get(start)!;
      this.open.delete(start);
      this.closed.add(start);
      const counts: Record<string, number> = {};
      for (const [addr, peers] of bucket.peers) counts[addr] = peers.size;
      return { start, counts, records: bucket.records };
    });
  }
}

function addPeer(map: Map<string, Set<string>>, addr: string, peer: string): void {
  let set = map.get(addr);
  if (!set) {
    set = new Set();
    map.set(addr, set);
  }
  set.add(peer);
}
