import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { ipv4Number } from '../../src/store/encode.js';
import { openStoreReader } from '../../src/store/open.js';
import { type ReportOptions, runReport } from '../../src/store/report-run.js';
import { findReport } from '../../src/store/reports.js';
import { addrPairSql } from '../../src/store/schema.js';
import { FlowStore } from '../../src/store/store.js';
import { batchFromLines, tempDir } from './helpers.js';

const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

/**
 * Records mixing IPv4 pairs, IPv6, non-canonical IPv4 text, missing addresses and one address
 * seen both with IPv4 and IPv6 peers, so the two parts of the top-talkers aggregation meet.
 * Interface ids are long strings (more than 12 bytes), some repeated, some unique, over more
 * than one 2,048-row vector.
 */
function mixedLines(count: number): string[] {
  const addrs = [
    '10.0.0.1',
    '10.0.0.2',
    '192.168.1.200',
    '255.255.255.255',
    '0.0.0.0',
    '2001:db8::1',
    'fe80::abcd',
    '010.0.0.1',
    '1.2.3.4',
    '-',
  ];
  const lines = [HEADER];
  for (let i = 0; i < count; i++) {
    const src = addrs[i % addrs.length]!;
    const dst = addrs[(i * 7 + 3) % addrs.length]!;
    const both = src === '-' ? '-' : dst;
    const eni = i % 5 === 0 ? `eni-unique-${i.toString(16).padStart(12, '0')}` : `eni-0a1b2c3d4e5f6${i % 3}`;
    const start = 1780272000 + (i % 100) * 60;
    lines.push(
      `2 123456789012 ${eni} ${src} ${both} ${1000 + (i % 50)} 443 6 ${1 + (i % 9)} ${100 * (1 + (i % 13))} ${start} ${start + 30} ACCEPT OK`,
    );
  }
  return lines;
}

async function storeOf(path: string, lines: string[], split = 0): Promise<void> {
  const store = await FlowStore.open(path);
  if (split > 0) {
    // A first input of some records, then the whole input again: the second goes the staged,
    // de-duplicating way for the rest.
    await store.append(batchFromLines('mixed.log', lines.slice(0, split + 1)));
    await store.commit('mixed.log');
  }
  await store.append(batchFromLines('mixed.log', lines));
  await store.commit('mixed.log');
  await store.close();
}

async function withCon<T>(
  path: string,
  fn: (con: Awaited<ReturnType<DuckDBInstance['connect']>>) => Promise<T>,
) {
  const instance = await DuckDBInstance.create(path);
  const con = await instance.connect();
  try {
    return await fn(con);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

async function reportRows(path: string, options: ReportOptions) {
  const reader = await openStoreReader(path);
  try {
    const r = await runReport(reader.con, findReport('top-talkers')!, options);
    return r.sections;
  } finally {
    reader.close();
  }
}

describe('top-talkers pair key', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());
  const lines = mixedLines(5000);

  it('ipv4Number takes canonical dotted IPv4 only', () => {
    assert.equal(ipv4Number('10.0.0.1'), 167772161);
    assert.equal(ipv4Number('255.255.255.255'), 4294967295);
    assert.equal(ipv4Number('0.0.0.0'), 0);
    for (const bad of [
      '010.0.0.1',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1..2.3',
      '::1',
      '1.2.3.4 ',
      'a.b.c.d',
      '',
    ]) {
      assert.equal(ipv4Number(bad), -1, bad);
    }
  });

  for (const [name, split] of [
    ['appended directly', 0],
    ['staged on a re-ingest', 1234],
  ] as const) {
    it(`addr_pair_v4 matches its SQL definition and stays out of flows (${name})`, async () => {
      const db = join(tmp.dir, `key-${split}.duckdb`);
      await storeOf(db, lines, split);
      await withCon(db, async (con) => {
        const check = await con.runAndReadAll(
          `SELECT count(*), count(addr_pair_v4),
             count(*) FILTER (WHERE addr_pair_v4 IS DISTINCT FROM (${addrPairSql('srcaddr', 'dstaddr')}))
           FROM flow_records`,
        );
        const [rows, keyed, wrong] = check.getRowsJS()[0]!.map(Number);
        assert.equal(rows, 5000);
        assert.ok(keyed! > 1000 && keyed! < 5000, `keyed ${keyed}`);
        assert.equal(wrong, 0);
        const cols = await con.runAndReadAll(
          `SELECT count(*) FROM information_schema.columns WHERE table_name = 'flows' AND column_name = 'addr_pair_v4'`,
        );
        assert.equal(Number(cols.getRowsJS()[0]![0]), 0);
      });
    });
  }

  it('long strings come back exactly, across vectors', async () => {
    const db = join(tmp.dir, 'key-0.duckdb');
    await withCon(db, async (con) => {
      const r = await con.runAndReadAll('SELECT position, interface_id FROM flows ORDER BY position');
      const got = r.getRowsJS().map((row) => String(row[1]));
      const want = lines.slice(1).map((l) => l.split(' ')[2]!);
      assert.deepEqual(got, want);
    });
  });

  it('the keyed and the text-only aggregations give the same report', async () => {
    const keyed = join(tmp.dir, 'key-0.duckdb');
    const plain = join(tmp.dir, 'plain.duckdb');
    copyFileSync(keyed, plain);
    await withCon(plain, (con) => con.run('ALTER TABLE flow_records DROP COLUMN addr_pair_v4'));
    const cases: ReportOptions[] = [
      { limit: 10 },
      { limit: 50, by: 'packets' },
      { limit: 5, since: 1780272000 + 600, until: 1780272000 + 3000 },
    ];
    for (const options of cases) {
      const a = await reportRows(keyed, options);
      const b = await reportRows(plain, options);
      assert.deepEqual(a, b, JSON.stringify(options));
      assert.ok(a.every((s) => (s.rows?.length ?? 0) > 0));
    }
    // IPv6 and non-canonical text reach the report through the text part.
    const pairs = (await reportRows(keyed, { limit: 1000 })).find((s) => s.title === 'Top pairs by bytes')!;
    const seen = new Set(pairs.rows!.flatMap((r) => [r[0], r[1]]));
    for (const addr of ['2001:db8::1', '010.0.0.1', '10.0.0.1', '255.255.255.255'])
      assert.ok(seen.has(addr), addr);
  });
});
