import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FlowBatch, numColumn, StrColumnBuilder } from '../../src/batch/flow-batch.js';
import { DEFAULT_FIELDS } from '../../src/fields/catalog.js';
import { PeerAggregator } from '../../src/sinks/peers/aggregator.js';
import { createPeersSink } from '../../src/sinks/peers/sink.js';
import { TestHttpServer } from '../receivers/http-server.js';
import { testSettings } from './helpers.js';

type Flow = [src: string | null, dst: string | null, start: number, status?: string];

/** A v2 batch from (srcaddr, dstaddr, start, log-status) tuples. */
function flows(rows: Flow[]): FlowBatch {
  const n = rows.length;
  const cols = DEFAULT_FIELDS.map((f) => {
    if (f.type === 'string') {
      const b = new StrColumnBuilder(n);
      rows.forEach(([s, d, , st], i) => {
        const v =
          f.column === 'srcaddr'
            ? s
            : f.column === 'dstaddr'
              ? d
              : f.column === 'log_status'
                ? (st ?? 'OK')
                : 'x';
        b.set(i, v);
      });
      return b.build(n);
    }
    const c = numColumn(n);
    rows.forEach(([, , start], i) => {
      c.values[i] = f.column === 'start' ? start : f.column === 'end' ? start + 60 : 1;
    });
    return c;
  });
  return new FlowBatch(DEFAULT_FIELDS, cols, n, { id: 'peers' }, new Float64Array(n));
}

describe('peer aggregation', () => {
  it('counts distinct peers per address per bucket, OK records only', () => {
    const agg = new PeerAggregator(600, 1);
    agg.add(
      flows([
        ['10.0.0.1', '10.0.0.2', 1200],
        ['10.0.0.1', '10.0.0.2', 1300], // same pair again: still one peer
        ['10.0.0.2', '10.0.0.1', 1400], // reverse direction: still one peer
        ['10.0.0.1', '10.0.0.3', 1799],
        ['10.0.0.9', '10.0.0.1', 1500, 'NODATA'], // not OK: ignored
        [null, '10.0.0.1', 1500], // no address: ignored
        ['10.0.0.1', '10.0.0.4', 1800], // next bucket
      ]),
    );
    assert.equal(agg.skipped, 2);
    assert.deepEqual(agg.ready(), []); // 1200 is within the horizon of the newest (1800)
    assert.deepEqual(agg.drain(), [
      { start: 1200, counts: { '10.0.0.1': 2, '10.0.0.2': 1, '10.0.0.3': 1 }, records: 4 },
      { start: 1800, counts: { '10.0.0.1': 1, '10.0.0.4': 1 }, records: 1 },
    ]);
  });

  it('flushes buckets older than the horizon as newer ones arrive (bounded memory)', () => {
    const agg = new PeerAggregator(60, 2);
    for (let t = 0; t < 60 * 50; t += 60) {
      agg.add(flows([['a', 'b', t]]));
      agg.ready();
      assert.ok(agg.openBuckets <= 3, `open buckets ${agg.openBuckets}`);
    }
    assert.equal(agg.drain().length, 3);
  });
});

describe('peers sink', () => {
  const stops: Array<() => Promise<void>> = [];
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-peers-'));
  after(async () => {
    for (const s of stops) await s();
    rmSync(dir, { recursive: true, force: true });
  });

  it('POSTs one object per bucket to the URL with {bucket} filled in; retries a 503', async () => {
    const rx = await new TestHttpServer(({ index }) =>
      index === 0 ? { kind: 'status', status: 503, body: 'later' } : { kind: 'ok' },
    ).start();
    stops.push(() => rx.stop());
    const sink = await createPeersSink(
      { bucketSeconds: 600, horizon: 0, url: `${rx.url}/peers/{bucket}`, timeoutMs: 2000 },
      testSettings({ maxInFlight: 1 }),
      { log: () => undefined },
    );
    await sink.write(
      flows([
        ['10.0.0.1', '10.0.0.2', 0],
        ['10.0.0.1', '10.0.0.3', 10],
      ]),
    );
    await sink.write(flows([['10.0.0.5', '10.0.0.1', 700]]));
    const result = await sink.close();
    assert.equal(result.delivered, 3);
    assert.equal(result.details?.buckets, 2);
    assert.equal(result.details?.retries, 1);
    const ok = rx.requests.slice(1);
    assert.deepEqual(
      ok.map((r) => [r.path, JSON.parse(r.body.toString('utf8'))]),
      [
        ['/peers/0', { '10.0.0.1': 2, '10.0.0.2': 1, '10.0.0.3': 1 }],
        ['/peers/600', { '10.0.0.5': 1, '10.0.0.1': 1 }],
      ],
    );
  });

  it('writes NDJSON lines to a file', async () => {
    const path = join(dir, 'peers.ndjson');
    const sink = await createPeersSink(
      { bucketSeconds: 60, horizon: 1, path, timeoutMs: 0 },
      testSettings(),
      {
        log: () => undefined,
      },
    );
    await sink.write(
      flows([
        ['a', 'b', 0],
        ['c', 'b', 61],
        ['a', 'c', 200],
      ]),
    );
    const result = await sink.close();
    assert.equal(result.delivered, 3);
    const lines = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    assert.deepEqual(lines, [
      { bucket: 0, peers: { a: 1, b: 1 } },
      { bucket: 60, peers: { c: 1, b: 1 } },
      { bucket: 180, peers: { a: 1, c: 1 } },
    ]);
  });
});
