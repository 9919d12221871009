import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { cellAt, FlowBatch, StrColumnBuilder } from '../../src/batch/flow-batch.js';
import { communityIdSql, decodeCommunityId } from '../../src/store/community-id.js';
import { openStoreReader } from '../../src/store/open.js';
import { RemoteStore } from '../../src/store/remote.js';
import { flowsViewSql } from '../../src/store/schema.js';
import { FlowStore } from '../../src/store/store.js';
import {
  batchFromLines,
  cellsByPosition,
  enrichedSample,
  reingest,
  storedTypes,
  tempDir,
} from './helpers.js';

/**
 * community_id is stored as two numbers; places (city, coordinates, country), ASes
 * (organisation, number) and infrastructure ids (account, interface, VPC, subnet, instance,
 * AZ, region) as codes into per-store dictionaries; `flows` must show exactly what the
 * enrichers produced, on the direct path (in the worker and in-thread), the staged (re-ingest)
 * path, for values that are not canonical community ids, and over stores written before these
 * layouts.
 */

const tmp = tempDir();
after(() => tmp.cleanup());

const COLUMNS = [
  'community_id',
  'src_city',
  'src_lat',
  'src_lon',
  'dst_city',
  'dst_lat',
  'dst_lon',
  'src_as_org',
  'dst_as_org',
  'src_asn',
  'src_country',
  'dst_country',
  'dst_asn',
  'account_id',
  'interface_id',
  'vpc_id',
  'subnet_id',
  'instance_id',
  'az_id',
  'region',
];
let batches: FlowBatch[] = [];
let sourceId = '';

before(async () => {
  ({ batches, sourceId } = await enrichedSample(tmp.dir, 5000, 11, 2000));
});

/** What the batches say for the columns, by position. */
function expected(from: readonly FlowBatch[]): Map<number, unknown[]> {
  return cellsByPosition(from, COLUMNS);
}

async function stored(db: string): Promise<Map<number, unknown[]>> {
  const reader = await openStoreReader(db);
  try {
    const r = await reader.con.runAndReadAll(`SELECT position, ${COLUMNS.join(', ')} FROM flows`);
    return new Map(r.getRowsJS().map(([p, ...rest]) => [Number(p), rest.map(plain)]));
  } finally {
    reader.close();
  }
}

/** DuckDB's BIGINT comes back as bigint; the batches hold numbers. */
const plain = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v);

/** `flows.source` values and their record counts. */
async function sources(db: string): Promise<[string, number][]> {
  const reader = await openStoreReader(db);
  try {
    const r = await reader.con.runAndReadAll('SELECT source, count(*) FROM flows GROUP BY 1 ORDER BY 1');
    return r.getRowsJS().map(([s, n]) => [String(s), Number(n)]);
  } finally {
    reader.close();
  }
}

function assertSameRows(got: Map<number, unknown[]>, want: Map<number, unknown[]>): void {
  assert.equal(got.size, want.size);
  for (const [pos, row] of want) assert.deepEqual(got.get(pos), row, `position ${pos}`);
}

describe('community_id and dictionary columns', () => {
  it('the sample has community ids, cities and AS organisations to store', () => {
    const rows = [...expected(batches).values()];
    for (const [k, name] of COLUMNS.entries()) {
      assert.ok(
        rows.some((r) => r[k] !== null),
        `no ${name} in the sample`,
      );
    }
  });

  it('are stored as numbers and codes through the store worker and read back as the enrichers wrote them', async () => {
    const db = join(tmp.dir, 'worker.duckdb');
    const store = await RemoteStore.open(db);
    for (const b of batches) await store.append(b);
    await store.commit(sourceId);
    await store.close();
    const types = await storedTypes(db);
    assert.equal(types.get('community_id_hi'), 'UHUGEINT');
    assert.equal(types.get('community_id_lo'), 'UINTEGER');
    assert.equal(types.get('src_geo_code'), 'UINTEGER');
    assert.equal(types.get('dst_as_org_code'), 'UINTEGER');
    assert.equal(types.get('source_code'), 'UINTEGER');
    assert.equal(types.get('interface_id_code'), 'UINTEGER');
    assert.equal(types.get('vpc_id_code'), 'UINTEGER');
    for (const gone of [
      'community_id',
      'src_city',
      'src_lat',
      'dst_lon',
      'src_as_org',
      'source',
      'src_country',
      'dst_asn',
      'account_id',
      'interface_id',
      'vpc_id',
      'region',
    ]) {
      assert.equal(types.has(gone), false, `${gone} stored as text`);
    }
    assertSameRows(await stored(db), expected(batches));
    assert.deepEqual(await sources(db), [[sourceId, 5000]]);
  });

  it('flows keeps the column types, and queries filter and group on community_id', async () => {
    const db = join(tmp.dir, 'query.duckdb');
    const store = await FlowStore.open(db);
    for (const b of batches) await store.append(b);
    await store.commit(sourceId);
    await store.close();
    const want = expected(batches);
    const ids = [...want.values()].map((r) => r[0]).filter((v): v is string => typeof v === 'string');
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    const reader = await openStoreReader(db);
    try {
      const described = await reader.con.runAndReadAll('DESCRIBE flows');
      const typeOf = new Map(described.getRowsJS().map((r) => [String(r[0]), String(r[1])]));
      // The enrichments come last, in the order a store of every enricher always showed them.
      assert.deepEqual([...typeOf.keys()].slice(-18), [
        'src_city',
        'src_lat',
        'src_lon',
        'dst_city',
        'dst_lat',
        'dst_lon',
        'src_as_org',
        'dst_as_org',
        'protocol_name',
        'tcp_flag_names',
        'src_network_class',
        'dst_network_class',
        'flow_class',
        'src_country',
        'dst_country',
        'src_asn',
        'dst_asn',
        'community_id',
      ]);
      assert.equal(typeOf.get('community_id'), 'VARCHAR');
      assert.equal(typeOf.get('src_city'), 'VARCHAR');
      assert.equal(typeOf.get('src_lat'), 'DOUBLE');
      assert.equal(typeOf.get('dst_as_org'), 'VARCHAR');
      assert.equal(typeOf.get('src_country'), 'VARCHAR');
      assert.equal(typeOf.get('dst_asn'), 'BIGINT');
      assert.equal(typeOf.get('interface_id'), 'VARCHAR');
      assert.equal(typeOf.get('account_id'), 'VARCHAR');
      for (const hidden of [
        'community_id_hi',
        'community_id_lo',
        'src_geo_code',
        'dst_as_org_code',
        'interface_id_code',
        'account_id_code',
        'packed_codes',
      ]) {
        assert.equal(typeOf.has(hidden), false, `${hidden} shown in flows`);
      }
      const some = ids[17]!;
      const hit = await reader.con.runAndReadAll(`SELECT count(*) FROM flows WHERE community_id = '${some}'`);
      assert.equal(Number(hit.getRowsJS()[0]![0]), counts.get(some));
      const grouped = await reader.con.runAndReadAll(
        'SELECT community_id, count(*) FROM flows WHERE community_id IS NOT NULL GROUP BY 1',
      );
      const got = new Map(grouped.getRowsJS().map(([id, n]) => [String(id), Number(n)]));
      assert.deepEqual(got, counts);
      const cities = await reader.con.runAndReadAll(
        `SELECT src_city, count(*) FROM flows WHERE src_city IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1`,
      );
      const [city, n] = cities.getRowsJS()[0]!;
      const wantCity = [...want.values()].filter((r) => r[1] === city).length;
      assert.equal(Number(n), wantCity);
    } finally {
      reader.close();
    }
  });

  it('a re-ingest stages, converts in SQL, and adds only what is missing', async () => {
    const db = join(tmp.dir, 'staged.duckdb');
    const { staged, added } = await reingest(db, batches, sourceId);
    assert.equal(staged, 5000);
    assert.equal(added, 5000 - batches[0]!.length);
    assertSameRows(await stored(db), expected(batches));
    assert.deepEqual(await sources(db), [[sourceId, 5000]]);
    // Codes stay dense (1…n) whichever path added them: the view finds values by position.
    const reader = await openStoreReader(db);
    try {
      for (const table of [
        'flow_geo_dict',
        'flow_as_org_dict',
        'flow_interface_id_dict',
        'flow_vpc_id_dict',
      ]) {
        const r = await reader.con.runAndReadAll(
          `SELECT count(*), max(code), count(DISTINCT code) FROM ${table}`,
        );
        const [count, max, distinct] = r.getRowsJS()[0]!.map(Number);
        assert.ok(count! > 0, `${table} is empty`);
        assert.equal(max, count);
        assert.equal(distinct, count);
      }
    } finally {
      reader.close();
    }
  });

  it('an input rolled back takes its dictionary entries with it, and the next input gets dense codes', async () => {
    const db = join(tmp.dir, 'rollback.duckdb');
    const store = await FlowStore.open(db);
    await store.append(batches[0]!);
    await store.abort(sourceId);
    for (const b of batches) await store.append(b);
    await store.commit(sourceId);
    await store.close();
    assertSameRows(await stored(db), expected(batches));
  });

  it('community ids that are not canonical v1 ids are kept as text beside the numbers', async () => {
    const db = join(tmp.dir, 'odd.duckdb');
    const store = await FlowStore.open(db);
    await store.append(batches[0]!);
    const odd = oddIds(batches[1]!);
    await store.append(odd);
    await store.commit(sourceId);
    // And on the staged path: the same source again, with more odd ones.
    const again = oddIds(batches[2]!);
    await store.append(again);
    await store.commit(sourceId);
    await store.close();
    const types = await storedTypes(db);
    assert.equal(types.get('community_id'), 'VARCHAR');
    assert.equal(types.get('community_id_hi'), 'UHUGEINT');
    assertSameRows(await stored(db), expected([batches[0]!, odd, again]));
  });

  it('a store written before these layouts keeps its text and shows new rows alike', async () => {
    const db = join(tmp.dir, 'old.duckdb');
    // The former layout: these columns as text and numbers in flow_records itself.
    const instance = await DuckDBInstance.create(db);
    const con = await instance.connect();
    await con.run(
      'CREATE TABLE flow_records (start_time TIMESTAMP, end_time TIMESTAMP, uid UHUGEINT, source VARCHAR, position BIGINT, ingested_at TIMESTAMP)',
    );
    const old = new Map([
      ['community_id', 'VARCHAR'],
      ['src_city', 'VARCHAR'],
      ['src_lat', 'DOUBLE'],
      ['src_lon', 'DOUBLE'],
      ['src_as_org', 'VARCHAR'],
    ]);
    for (const [name, type] of old) await con.run(`ALTER TABLE flow_records ADD COLUMN ${name} ${type}`);
    await con.run(`INSERT INTO flow_records (uid, position, source, community_id, src_city, src_lat, src_lon, src_as_org)
      VALUES (42, 1, 'old-input', 'not-a-v1-id', 'Oldtown', 1.5, -2.25, 'Old Org')`);
    const types = new Map([
      ['start_time', 'TIMESTAMP'],
      ['end_time', 'TIMESTAMP'],
      ['uid', 'UHUGEINT'],
      ['source', 'VARCHAR'],
      ['position', 'BIGINT'],
      ['ingested_at', 'TIMESTAMP'],
      ...old,
    ]);
    await con.run(flowsViewSql(types));
    con.closeSync();
    instance.closeSync();

    const store = await FlowStore.open(db);
    for (const b of batches) await store.append(b);
    await store.commit(sourceId);
    await store.close();
    const rows = await stored(db);
    assert.deepEqual(rows.get(1), [
      'not-a-v1-id',
      'Oldtown',
      1.5,
      -2.25,
      ...COLUMNS.slice(4, 7).map(() => null),
      'Old Org',
      ...COLUMNS.slice(8).map(() => null),
    ]);
    rows.delete(1);
    assertSameRows(rows, expected(batches));
    // The old store keeps its text column for the source too.
    assert.deepEqual(
      await sources(db),
      [
        [sourceId, 5000],
        ['old-input', 1],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    const after = await storedTypes(db);
    assert.equal(after.get('source'), 'VARCHAR');
    assert.equal(after.has('source_code'), false);
  });

  it('each input gets a source code; a rolled-back input leaves no code behind', async () => {
    const db = join(tmp.dir, 'sources.duckdb');
    const lines = ['srcaddr dstaddr bytes', '10.0.0.1 10.0.0.2 100', '10.0.0.3 10.0.0.4 200'];
    const store = await FlowStore.open(db);
    await store.append(batchFromLines('s3://bucket/a.log.gz', lines));
    await store.commit('s3://bucket/a.log.gz');
    await store.append(batchFromLines("s3://bucket/it's-b.log.gz", lines));
    await store.abort("s3://bucket/it's-b.log.gz");
    await store.append(batchFromLines("s3://bucket/it's-c.log.gz", lines));
    await store.commit("s3://bucket/it's-c.log.gz");
    await store.close();
    assert.deepEqual(await sources(db), [
      ['s3://bucket/a.log.gz', 2],
      ["s3://bucket/it's-c.log.gz", 2],
    ]);
    const reader = await openStoreReader(db);
    try {
      const r = await reader.con.runAndReadAll('SELECT code, source FROM flow_source_dict ORDER BY code');
      assert.deepEqual(r.getRowsJS(), [
        [1, 's3://bucket/a.log.gz'],
        [2, "s3://bucket/it's-c.log.gz"],
      ]);
    } finally {
      reader.close();
    }
  });

  it('the view rebuilds ids whose digest starts or ends with zero digits', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const con = await instance.connect();
    try {
      const digests = ['00', '0f', 'f0', 'ff'].flatMap((head) =>
        ['00000000', '0000000f', 'f0000000', '12345678'].map((tail) =>
          Buffer.from(head + '17'.repeat(15) + tail, 'hex'),
        ),
      );
      digests.push(Buffer.alloc(20), Buffer.alloc(20, 0xff));
      for (const d of digests) {
        const hi = d.subarray(0, 16).toString('hex');
        const lo = d.readUInt32BE(16);
        const r = await con.runAndReadAll(
          `SELECT ${communityIdSql(`CAST((CAST('0x${hi.slice(0, 16)}' AS UBIGINT)::UHUGEINT << 64) | CAST('0x${hi.slice(16)}' AS UBIGINT) AS UHUGEINT)`, `CAST(${lo} AS UINTEGER)`)}`,
        );
        assert.equal(r.getRowsJS()[0]![0], `1:${d.toString('base64')}`, d.toString('hex'));
      }
    } finally {
      con.closeSync();
      instance.closeSync();
    }
  });

  it('decodes exactly the canonical ids', () => {
    const words = new Uint32Array(5);
    assert.equal(decodeCommunityId('1:LQU9qZlK+B5F3KDmev6m5PMibrg=', words, 0), true);
    assert.equal(Buffer.from(words.buffer).swap32().toString('base64'), 'LQU9qZlK+B5F3KDmev6m5PMibrg=');
    // Not canonical: padding bits set, wrong version, wrong length, characters outside base64.
    for (const odd of [
      '1:LQU9qZlK+B5F3KDmev6m5PMibrh=',
      '2:LQU9qZlK+B5F3KDmev6m5PMibrg=',
      '1:abc',
      '1:LQU9qZlK+B5F3KDmev6m5PMib-g=',
    ]) {
      assert.equal(decodeCommunityId(odd, words, 0), false, odd);
    }
  });
});

/** A copy of a batch whose community ids are not canonical for every third row. */
function oddIds(batch: FlowBatch): FlowBatch {
  const col = batch.column('community_id')!;
  const b = new StrColumnBuilder(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const v = cellAt(col, i);
    b.set(i, typeof v === 'string' && i % 3 === 0 ? `x-${v}` : (v as string | null));
  }
  const copy = new FlowBatch(batch.fields, batch.columns, batch.length, batch.source, batch.positions);
  for (const [name, c] of batch.extra) copy.extra.set(name, c);
  copy.extra.set('community_id', b.build(batch.length));
  return copy;
}
