import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { openStoreReader } from '../../src/store/open.js';
import { runReport } from '../../src/store/report-run.js';
import { findReport } from '../../src/store/reports.js';
import { flowsViewSql } from '../../src/store/schema.js';
import { FlowStore } from '../../src/store/store.js';
import {
  batchFromLines,
  cellsByPosition,
  enrichedSample,
  reingest,
  storedTypes,
  tempDir,
  withoutStored,
} from './helpers.js';

/**
 * The third layout (packed_codes; countries and AS numbers in the place and AS dictionaries;
 * infrastructure ids as dictionary codes) over stores written by the version before it, whose
 * flow_records holds these as coded columns, numbers and text, and whose side tables lack the
 * new members; and what `flows` shows of packed_codes.
 */

const tmp = tempDir();
after(() => tmp.cleanup());

const COLUMNS = [
  'action',
  'log_status',
  'protocol_name',
  'flow_class',
  'src_network_class',
  'src_country',
  'dst_country',
  'src_city',
  'src_asn',
  'src_as_org',
  'interface_id',
  'account_id',
];
let batches: FlowBatch[] = [];
let sourceId = '';

before(async () => {
  ({ batches, sourceId } = await enrichedSample(tmp.dir, 4000, 23, 1500));
});

async function stored(db: string): Promise<Map<number, unknown[]>> {
  const reader = await openStoreReader(db);
  try {
    const r = await reader.con.runAndReadAll(`SELECT position, ${COLUMNS.join(', ')} FROM flows`);
    return new Map(r.getRowsJS().map(([p, ...rest]) => [Number(p), rest.map(plain)]));
  } finally {
    reader.close();
  }
}

const plain = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v);

async function flowsColumns(db: string): Promise<Map<string, string>> {
  const reader = await openStoreReader(db);
  try {
    const r = await reader.con.runAndReadAll('DESCRIBE flows');
    return new Map(r.getRowsJS().map((row) => [String(row[0]), String(row[1])]));
  } finally {
    reader.close();
  }
}

/**
 * The layout of the version before: the columns as it stored them, one record, its side tables
 * without the members added since. Returns what its `flows` showed (the view is built with the
 * members present, then they are dropped, as that version's view did not read them).
 */
async function previousLayoutStore(db: string): Promise<{ row: unknown[]; columns: Map<string, string> }> {
  const instance = await DuckDBInstance.create(db);
  const con = await instance.connect();
  const columns: [string, string][] = [
    ['start_time', 'TIMESTAMP'],
    ['end_time', 'TIMESTAMP'],
    ['uid', 'UHUGEINT'],
    ['source_code', 'UINTEGER'],
    ['position', 'BIGINT'],
    ['ingested_at', 'TIMESTAMP'],
    ['account_id', 'VARCHAR'],
    ['interface_id', 'VARCHAR'],
    ['action', 'UTINYINT'],
    ['log_status', 'UTINYINT'],
    ['protocol_name', 'UTINYINT'],
    ['src_network_class', 'UTINYINT'],
    ['flow_class', 'UTINYINT'],
    ['src_country', 'USMALLINT'],
    ['dst_country', 'USMALLINT'],
    ['src_asn', 'BIGINT'],
    ['src_geo_code', 'UINTEGER'],
    ['src_as_org_code', 'UINTEGER'],
  ];
  await con.run(`CREATE TABLE flow_records (${columns.map(([n, t]) => `${n} ${t}`).join(', ')})`);
  await con.run('CREATE TABLE flow_source_dict (code UINTEGER, source VARCHAR)');
  await con.run(
    'CREATE TABLE flow_geo_dict (code UINTEGER, city VARCHAR, lat DOUBLE, lon DOUBLE, country VARCHAR)',
  );
  await con.run('CREATE TABLE flow_as_org_dict (code UINTEGER, org VARCHAR, asn BIGINT)');
  await con.run(`INSERT INTO flow_source_dict VALUES (1, 'old-input')`);
  await con.run(`INSERT INTO flow_geo_dict VALUES (1, 'Oldtown', 1.5, -2.25, NULL)`);
  await con.run(`INSERT INTO flow_as_org_dict VALUES (1, 'Old Org', NULL)`);
  // REJECT, NODATA, tcp (6), public (11), external (4), DE (3·26 + 4), US (20·26 + 18).
  await con.run(`INSERT INTO flow_records (uid, source_code, position, account_id, interface_id, action, log_status,
      protocol_name, src_network_class, flow_class, src_country, dst_country, src_asn, src_geo_code, src_as_org_code)
    VALUES (42, 1, 1, '123456789012', 'eni-0old', 1, 1, 6, 11, 4, 82, 538, 64500, 1, 1)`);
  await con.run(flowsViewSql(new Map(columns)));
  const read = await con.runAndReadAll(`SELECT ${COLUMNS.join(', ')} FROM flows`);
  const described = await con.runAndReadAll('DESCRIBE flows');
  await con.run('ALTER TABLE flow_geo_dict DROP COLUMN country');
  await con.run('ALTER TABLE flow_as_org_dict DROP COLUMN asn');
  con.closeSync();
  instance.closeSync();
  return {
    row: read.getRowsJS()[0]!.map(plain),
    columns: new Map(described.getRowsJS().map((r) => [String(r[0]), String(r[1])])),
  };
}

const OLD_ROW = [
  'REJECT',
  'NODATA',
  'tcp',
  'external',
  'public',
  'DE',
  'US',
  'Oldtown',
  64500,
  'Old Org',
  'eni-0old',
  '123456789012',
];

describe('stores written before packed codes and the wider dictionaries', () => {
  it('keep their records readable and take new records in the new columns', async () => {
    const db = join(tmp.dir, 'previous.duckdb');
    const { row, columns: before } = await previousLayoutStore(db);
    assert.deepEqual(row, OLD_ROW);
    const store = await FlowStore.open(db);
    for (const b of batches) await store.append(b);
    await store.commit(sourceId);
    await store.close();
    const rows = await stored(db);
    assert.deepEqual(rows.get(1), OLD_ROW);
    rows.delete(1);
    const want = cellsByPosition(batches, COLUMNS);
    assert.equal(rows.size, want.size);
    for (const [p, values] of want) assert.deepEqual(rows.get(p), values, `position ${p}`);
    // Every column flows showed before, with the same type.
    const now = await flowsColumns(db);
    for (const [name, type] of before) assert.equal(now.get(name), type, name);
    const types = await storedTypes(db);
    assert.equal(types.get('packed_codes'), 'UINTEGER');
    assert.equal(types.get('interface_id_code'), 'UINTEGER');
    assert.equal(types.get('src_country'), 'USMALLINT');
  });

  it('a re-ingest into such a store adds only what is missing, with the same values', async () => {
    const db = join(tmp.dir, 'previous-staged.duckdb');
    await previousLayoutStore(db);
    const { added } = await reingest(db, batches, sourceId);
    assert.equal(added, 4000 - batches[0]!.length);
    const rows = await stored(db);
    assert.deepEqual(rows.get(1), OLD_ROW);
    rows.delete(1);
    const want = cellsByPosition(batches, COLUMNS);
    for (const [p, values] of want) assert.deepEqual(rows.get(p), values, `position ${p}`);
  });

  it('a re-ingest of a store whose first input was staged into the old columns stores them alike', async () => {
    // Staged first: the old store's own columns take the records (no code column yet).
    const db = join(tmp.dir, 'previous-staged-first.duckdb');
    await previousLayoutStore(db);
    const store = await FlowStore.open(db);
    await store.append(batches[0]!);
    await store.commit(sourceId);
    for (const b of batches) await store.append(b);
    await store.commit(sourceId);
    await store.close();
    const rows = await stored(db);
    rows.delete(1);
    const want = cellsByPosition(batches, COLUMNS);
    assert.equal(rows.size, want.size);
    for (const [p, values] of want) assert.deepEqual(rows.get(p), values, `position ${p}`);
  });

  it('reports answer the same over the stored codes as over flows', async () => {
    const db = join(tmp.dir, 'previous-reports.duckdb');
    await previousLayoutStore(db);
    const store = await FlowStore.open(db);
    for (const b of batches) await store.append(b);
    await store.commit(sourceId);
    await store.close();
    const reader = await openStoreReader(db);
    try {
      for (const name of ['geo', 'asn', 'interfaces']) {
        const report = findReport(name)!;
        const fromCodes = await runReport(reader.con, report, { limit: 100 });
        assert.deepEqual(fromCodes, await runReport(reader.con, withoutStored(report), { limit: 100 }), name);
        assert.ok(fromCodes.sections[0]!.rows!.length > 1, `${name}: too few rows to compare`);
      }
    } finally {
      reader.close();
    }
  });
});

describe('packed codes', () => {
  it('flows shows only the packed columns some batch had, and a rolled-back input takes its own away', async () => {
    const db = join(tmp.dir, 'packed-shown.duckdb');
    const store = await FlowStore.open(db);
    const lines = [
      'srcaddr dstaddr action log-status',
      '10.0.0.1 10.0.0.2 ACCEPT OK',
      '10.0.0.3 10.0.0.4 REJECT OK',
    ];
    await store.append(batchFromLines('plain.log', lines));
    await store.commit('plain.log');
    // An enriched input that fails: its packed columns are not shown afterwards.
    await store.append(batches[0]!);
    await store.abort(sourceId);
    await store.close();
    const shown = await flowsColumns(db);
    assert.equal(shown.get('action'), 'VARCHAR');
    for (const name of ['protocol_name', 'tcp_flag_names', 'src_network_class', 'flow_class']) {
      assert.equal(shown.has(name), false, `${name} shown for records never enriched`);
    }
    const reader = await openStoreReader(db);
    try {
      const r = await reader.con.runAndReadAll('SELECT action, log_status FROM flows ORDER BY position');
      assert.deepEqual(r.getRowsJS(), [
        ['ACCEPT', 'OK'],
        ['REJECT', 'OK'],
      ]);
    } finally {
      reader.close();
    }
    const again = await FlowStore.open(db);
    await again.append(batches[0]!);
    await again.commit(sourceId);
    await again.close();
    const after = await flowsColumns(db);
    assert.equal(after.get('protocol_name'), 'VARCHAR');
    assert.equal(after.get('tcp_flag_names'), 'VARCHAR[]');
    assert.equal(after.get('flow_class'), 'VARCHAR');
  });

  it('a value outside its table stores that column alone as text, the others stay packed', async () => {
    const db = join(tmp.dir, 'packed-odd.duckdb');
    const odd = (from: FlowBatch, position: number): FlowBatch => {
      const b = batchFromLines(
        from.source.id,
        ['srcaddr dstaddr action', '10.0.0.1 8.8.8.8 ACCEPT'],
        position,
      );
      b.extra.set('flow_class', { kind: 'str', codes: Uint32Array.of(1), dict: ['', 'sideways'] });
      b.extra.set('protocol_name', { kind: 'str', codes: Uint32Array.of(1), dict: ['', 'tcp'] });
      return b;
    };
    const store = await FlowStore.open(db);
    await store.append(batches[0]!);
    await store.append(odd(batches[0]!, 900_000));
    await store.commit(sourceId);
    // And on the staged path (the same input again).
    await store.append(odd(batches[0]!, 900_001));
    await store.commit(sourceId);
    await store.close();
    const types = await storedTypes(db);
    assert.equal(types.get('flow_class'), 'VARCHAR');
    assert.equal(types.has('protocol_name'), false);
    const rows = await stored(db);
    const want = cellsByPosition([batches[0]!], COLUMNS);
    for (const [p, values] of want) assert.deepEqual(rows.get(p), values, `position ${p}`);
    for (const p of [900_000, 900_001]) {
      const row = rows.get(p)!;
      assert.equal(row[COLUMNS.indexOf('flow_class')], 'sideways');
      assert.equal(row[COLUMNS.indexOf('protocol_name')], 'tcp');
      assert.equal(row[COLUMNS.indexOf('action')], 'ACCEPT');
    }
  });
});

describe('ingested_at', () => {
  it('is the time its input began, one value for every record of the input', async () => {
    const db = join(tmp.dir, 'ingested-at.duckdb');
    const store = await FlowStore.open(db);
    const began = Date.now();
    for (const b of batches) await store.append(b);
    await store.commit(sourceId);
    const ended = Date.now();
    await store.close();
    const reader = await openStoreReader(db);
    try {
      const r = await reader.con.runAndReadAll(
        'SELECT count(*), count(DISTINCT ingested_at), min(epoch_ms(ingested_at)) FROM flows',
      );
      const [count, distinct, at] = r.getRowsJS()[0]!.map(Number);
      assert.equal(count, 4000);
      assert.equal(distinct, 1);
      assert.ok(at! >= began && at! <= ended, `ingested_at ${at} outside ${began}…${ended}`);
    } finally {
      reader.close();
    }
  });
});
