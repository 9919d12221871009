import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { STORE_SCHEMA_VERSION } from '../../src/store/migrations.js';
import { openStoreReader } from '../../src/store/open.js';
import { FlowStore } from '../../src/store/store.js';
import { enrichedSample, tempDir } from './helpers.js';

/**
 * The store's format version: a new store records it, an older one (no version kept, packed
 * fields listed in a column comment) is brought up to it with its records intact, and a store
 * of a newer format is refused — by the writer and by the readers — with a message that says so.
 */

const tmp = tempDir('flowlens-migrations-');
let batches: FlowBatch[] = [];
let sourceId = '';

before(async () => {
  ({ batches, sourceId } = await enrichedSample(tmp.dir, 600, 5, 300));
});
after(() => tmp.cleanup());

/** Runs SQL on the store file with DuckDB alone (as another program, or an older flowlens, would). */
async function sql(db: string, statements: readonly string[]): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(db);
  const con = await instance.connect();
  let rows: unknown[][] = [];
  try {
    for (const s of statements) rows = (await con.runAndReadAll(s)).getRowsJS();
  } finally {
    con.closeSync();
    instance.closeSync();
  }
  return rows;
}

async function filledStore(name: string): Promise<string> {
  const db = join(tmp.dir, name);
  const store = await FlowStore.open(db);
  for (const b of batches) await store.append(b);
  await store.commit(sourceId);
  await store.close();
  return db;
}

const flowsClasses = async (db: string): Promise<unknown[][]> => {
  const reader = await openStoreReader(db);
  try {
    return (
      await reader.con.runAndReadAll(
        'SELECT flow_class, action, count(*) FROM flows GROUP BY ALL ORDER BY ALL',
      )
    ).getRowsJS();
  } finally {
    reader.close();
  }
};

describe('store format version', () => {
  it('a new store records the current version and its packed fields in flowlens_meta', async () => {
    const db = await filledStore('new.duckdb');
    const meta = new Map(
      (await sql(db, ['SELECT key, value FROM flowlens_meta'])).map(([k, v]) => [String(k), String(v)]),
    );
    assert.equal(meta.get('schema_version'), String(STORE_SCHEMA_VERSION));
    assert.match(meta.get('packed_fields') ?? '', /flow_class/);
    const [[comment]] = (await sql(db, [
      "SELECT comment FROM duckdb_columns() WHERE table_name = 'flow_records' AND column_name = 'packed_codes'",
    ])) as [[unknown]];
    assert.equal(comment, null);
  });

  it('a store written before the version was kept is upgraded in order, its records intact', async () => {
    const db = await filledStore('legacy.duckdb');
    const before = await flowsClasses(db);
    assert.ok(before.length > 1);
    // as the earlier layout kept it: the packed fields in the column's comment, no metadata table
    const [[packed]] = (await sql(db, ["SELECT value FROM flowlens_meta WHERE key = 'packed_fields'"])) as [
      [string],
    ];
    await sql(db, [`COMMENT ON COLUMN flow_records.packed_codes IS '${packed}'`, 'DROP TABLE flowlens_meta']);
    const store = await FlowStore.open(db);
    await store.close();
    assert.deepEqual(await flowsClasses(db), before);
    const meta = new Map(
      (await sql(db, ['SELECT key, value FROM flowlens_meta'])).map(([k, v]) => [String(k), String(v)]),
    );
    assert.equal(meta.get('schema_version'), String(STORE_SCHEMA_VERSION));
    assert.equal(meta.get('packed_fields'), packed);
  });

  it('a store of a newer format is refused for writing and for reading, saying why', async () => {
    const db = await filledStore('newer.duckdb');
    const newer = STORE_SCHEMA_VERSION + 1;
    await sql(db, [`UPDATE flowlens_meta SET value = '${newer}' WHERE key = 'schema_version'`]);
    const message = new RegExp(
      `newer\\.duckdb was written by a newer flowlens \\(store format ${newer}; this flowlens knows formats up to ${STORE_SCHEMA_VERSION}\\)`,
    );
    await assert.rejects(FlowStore.open(db), message);
    await assert.rejects(openStoreReader(db), message);
    // refused without a change: the version is still the newer one
    assert.deepEqual(await sql(db, ["SELECT value FROM flowlens_meta WHERE key = 'schema_version'"]), [
      [String(newer)],
    ]);
  });
});
