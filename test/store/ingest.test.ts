import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FlowBatch, numColumn, StrColumnBuilder } from '../../src/batch/flow-batch.js';
import { resolveOptions } from '../../src/config/options.js';
import { recordUid } from '../../src/enrich/record-uid.js';
import { resolveField } from '../../src/fields/catalog.js';
import { writeSample } from '../../src/generate/index.js';
import { INGEST_OPTIONS } from '../../src/pipeline/build.js';
import { runOnce } from '../../src/pipeline/once.js';
import { fileInput } from '../../src/sources/files.js';
import { openStoreReader } from '../../src/store/open.js';
import { FlowStore } from '../../src/store/store.js';
import { batchFromLines, tempDir } from './helpers.js';

const tmp = tempDir();
after(() => tmp.cleanup());

async function ingest(db: string, files: string[]) {
  const options = resolveOptions(INGEST_OPTIONS(), { flags: { db }, env: {} });
  return runOnce(files.map(fileInput), options, { env: {}, log: () => undefined });
}

async function totals(db: string) {
  const reader = await openStoreReader(db);
  try {
    const r = await reader.con.runAndReadAll(
      `SELECT count(*) AS n,
        sum(bytes) FILTER (WHERE action = 'ACCEPT'), sum(packets) FILTER (WHERE action = 'ACCEPT'),
        sum(bytes) FILTER (WHERE action = 'REJECT'), sum(packets) FILTER (WHERE action = 'REJECT'),
        count(*) FILTER (WHERE action = 'ACCEPT'), count(*) FILTER (WHERE action = 'REJECT')
       FROM flows`,
    );
    return r.getRowsJS()[0]!.map(Number);
  } finally {
    reader.close();
  }
}

describe('ingest into the store', () => {
  const db = join(tmp.dir, 'flows.duckdb');
  const sample = join(tmp.dir, 'sample.log.gz');

  it('totals equal the generator ground truth, and a re-ingest adds nothing', async () => {
    const truth = await writeSample(sample, { records: 5000, version: '5', seed: 11 });
    const first = await ingest(db, [sample]);
    assert.equal(first.ok, true, JSON.stringify(first.stats.errors));
    const expected = [
      truth.records,
      truth.accept.bytes,
      truth.accept.packets,
      truth.reject.bytes,
      truth.reject.packets,
      truth.accept.records,
      truth.reject.records,
    ];
    assert.deepEqual(await totals(db), expected);
    const again = await ingest(db, [sample]);
    assert.equal(again.sinks[0]!.details?.added, 0);
    assert.equal(again.sinks[0]!.details?.duplicates, truth.records);
    assert.deepEqual(await totals(db), expected);
  });

  it('a truncated gzip input leaves the store unchanged', async () => {
    const before = await totals(db);
    const other = join(tmp.dir, 'other.log.gz');
    await writeSample(other, { records: 3000, version: '2', seed: 12 });
    const bytes = readFileSync(other);
    const cut = join(tmp.dir, 'cut.log.gz');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const r = await ingest(db, [cut]);
    assert.equal(r.ok, false);
    assert.equal(r.stats.errors.length, 1);
    assert.match(r.stats.errors[0]!.source, /cut\.log\.gz$/);
    assert.ok(
      Number(r.sinks[0]!.details?.rolledBack) > 0,
      'records of the cut file were staged then rolled back',
    );
    assert.deepEqual(await totals(db), before);
  });

  it('stores real types, times as TIMESTAMP, and the enricher record_uid', async () => {
    const reader = await openStoreReader(db);
    try {
      const types = await reader.con.runAndReadAll(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'flows'`,
      );
      const t = new Map(types.getRowsJS().map((r) => [r[0], r[1]]));
      assert.equal(t.get('srcport'), 'INTEGER');
      assert.equal(t.get('protocol'), 'INTEGER');
      assert.equal(t.get('bytes'), 'BIGINT');
      assert.equal(t.get('start_time'), 'TIMESTAMP');
      assert.equal(t.get('srcaddr'), 'VARCHAR');
      const row = (
        await reader.con.runAndReadAll(
          `SELECT record_uid, source, position, CAST(epoch(end_time) AS BIGINT) = "end"
           FROM flows WHERE position = 2 AND source LIKE '%sample.log.gz'`,
        )
      ).getRowsJS()[0]!;
      assert.equal(row[0], recordUid(String(row[1]), 2));
      assert.equal(row[3], true);
    } finally {
      reader.close();
    }
  });
});

describe('store errors', () => {
  it('a file that is not a DuckDB database fails at start with one line naming it', async () => {
    const junk = join(tmp.dir, 'junk.duckdb');
    writeFileSync(junk, 'not a database\n');
    const options = resolveOptions(INGEST_OPTIONS(), { flags: { db: junk }, env: {} });
    await assert.rejects(
      runOnce([], options, { env: {}, log: () => undefined }),
      (err: Error) => err.message === `cannot open store ${junk}: not a DuckDB database file`,
    );
  });
});

describe('store columns', () => {
  it('missing fields are NULL, unknown fields and enrichments become columns, IP macros work', async () => {
    const db = join(tmp.dir, 'cols.duckdb');
    const store = await FlowStore.open(db);
    const v2 = batchFromLines('v2.log', [
      'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
      '2 123 eni-1 10.1.2.3 172.16.0.9 1 2 6 3 4 1780272000 1780272001 ACCEPT OK',
    ]);
    await store.append(v2);
    await store.commit('v2.log');
    const custom = batchFromLines('custom.log', [
      'srcaddr my-field dstport',
      '10.9.9.9 hello-this-is-longer-than-twelve 443',
    ]);
    const names = new StrColumnBuilder(1);
    names.set(0, 'TCP');
    custom.extra.set('protocol_name', names.build(1));
    const score = numColumn(1);
    score.values[0] = 0.5;
    custom.extra.set('risk_score', score);
    custom.extra.set('tcp_flag_names', { kind: 'list', values: [['SYN', 'ACK']] });
    await store.append(custom);
    await store.commit('custom.log');
    await store.close();
    const reader = await openStoreReader(db);
    try {
      const rows = (
        await reader.con.runAndReadAll(
          `SELECT srcaddr, vpc_id, dstport, my_field, protocol_name, risk_score, tcp_flag_names,
             ipv4_int(srcaddr), ip_in_cidr(srcaddr, '10.1.0.0/16'), is_private_ip(dstaddr)
           FROM flows ORDER BY srcaddr`,
        )
      ).getRowsJS();
      assert.deepEqual(rows[0], ['10.1.2.3', null, 2, null, null, null, null, 167838211n, true, true]);
      assert.deepEqual(rows[1], [
        '10.9.9.9',
        null,
        443,
        'hello-this-is-longer-than-twelve',
        'TCP',
        0.5,
        ['SYN', 'ACK'],
        168364297n,
        false,
        null,
      ]);
    } finally {
      reader.close();
    }
  });

  it('an aborted input leaves nothing behind', async () => {
    const db = join(tmp.dir, 'abort.duckdb');
    const store = await FlowStore.open(db);
    const fields = ['srcaddr'].map(resolveField);
    const col = new StrColumnBuilder(2);
    col.set(0, '10.0.0.1');
    col.set(1, '10.0.0.2');
    await store.append(new FlowBatch(fields, [col.build(2)], 2, { id: 'x' }, Float64Array.of(1, 2)));
    await store.abort('x');
    await store.close();
    const reader = await openStoreReader(db);
    try {
      const n = (await reader.con.runAndReadAll('SELECT count(*) FROM flows')).getRowsJS()[0]![0];
      assert.equal(n, 0n);
    } finally {
      reader.close();
    }
  });
});
