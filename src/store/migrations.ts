import type { DuckDBConnection } from '@duckdb/node-api';
import { createDimTableSql, DIM_TABLES, upgradeDimTableSql } from './dim-tables.js';
import { PACKED_COLUMN } from './packed.js';
import { createRecordsSql, quoteText, RECORDS_TABLE } from './schema.js';
import { StoreError } from './store-error.js';

/**
 * The store's format version and the ordered steps that bring an older store up to it. The
 * version is kept in the `flowlens_meta` table (key `schema_version`); a store without that
 * table is version 0 (written before the version was kept). Opening a store for writing runs
 * the missing steps in order, each in its own transaction with the new version; a store of a
 * newer version than this flowlens knows is refused, for writing and for reading.
 *
 * Enrichment columns are still added as records bring them (schema on write): they are data,
 * not format. A change of format (a column changing type or meaning, a table or a metadata key
 * added) is a new step here, with the version raised.
 */

export const META_TABLE = 'flowlens_meta';
const VERSION_KEY = 'schema_version';
/** `flowlens_meta` key listing the fields `packed_codes` holds (packed.ts). */
export const PACKED_FIELDS_KEY = 'packed_fields';

interface Migration {
  /** The version the store has after this step. */
  readonly to: number;
  readonly what: string;
  run(con: DuckDBConnection): Promise<void>;
}

const MIGRATIONS: readonly Migration[] = [
  {
    to: 1,
    what: 'records table and side tables of the current layout (a version-0 store keeps its rows)',
    async run(con) {
      await con.run(createRecordsSql());
      for (const dim of DIM_TABLES) {
        await con.run(createDimTableSql(dim));
        for (const sql of upgradeDimTableSql(dim)) await con.run(sql);
      }
    },
  },
  {
    to: 2,
    what: 'the fields packed_codes holds move from its column comment to flowlens_meta',
    async run(con) {
      const r = await con.runAndReadAll(
        `SELECT comment FROM duckdb_columns() WHERE table_name = '${RECORDS_TABLE}' AND column_name = '${PACKED_COLUMN}'
         AND schema_name = 'main' AND database_name = current_database()`,
      );
      const comment = r.getRowsJS()[0]?.[0];
      if (typeof comment === 'string' && comment !== '') {
        await setMeta(con, PACKED_FIELDS_KEY, comment);
        await con.run(`COMMENT ON COLUMN ${RECORDS_TABLE}.${PACKED_COLUMN} IS NULL`);
      }
    },
  },
];

/** The format version this flowlens writes. */
export const STORE_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.to;

async function hasMetaTable(con: DuckDBConnection): Promise<boolean> {
  const r = await con.runAndReadAll(
    `SELECT count(*) FROM information_schema.tables WHERE table_name = '${META_TABLE}' AND table_schema = 'main'
     AND table_catalog = current_database()`,
  );
  return Number(r.getRowsJS()[0]![0]) > 0;
}

/** A metadata value, or null when the store has none (or no metadata table). */
export async function getMeta(con: DuckDBConnection, key: string): Promise<string | null> {
  if (!(await hasMetaTable(con))) return null;
  const r = await con.runAndReadAll(`SELECT value FROM ${META_TABLE} WHERE key = ${quoteText(key)}`);
  const v = r.getRowsJS()[0]?.[0];
  return typeof v === 'string' ? v : null;
}

/** Sets a metadata value (in the caller's transaction, if one is open). */
export async function setMeta(con: DuckDBConnection, key: string, value: string): Promise<void> {
  await con.run(`CREATE TABLE IF NOT EXISTS ${META_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`);
  await con.run(`INSERT OR REPLACE INTO ${META_TABLE} VALUES (${quoteText(key)}, ${quoteText(value)})`);
}

/** The store's format version (0: written before versions were kept, or a new empty file). */
export async function storeVersion(con: DuckDBConnection, path: string): Promise<number> {
  const text = await getMeta(con, VERSION_KEY);
  if (text === null) return 0;
  const version = Number(text);
  if (!Number.isInteger(version) || version < 0)
    throw new StoreError(`store ${path}: unreadable schema version ${JSON.stringify(text)} in ${META_TABLE}`);
  return version;
}

/** Refuses a store written by a newer flowlens; returns its version. */
export async function checkStoreVersion(con: DuckDBConnection, path: string): Promise<number> {
  const version = await storeVersion(con, path);
  if (version > STORE_SCHEMA_VERSION) {
    throw new StoreError(
      `store ${path} was written by a newer flowlens (store format ${version}; this flowlens knows formats up to ${STORE_SCHEMA_VERSION}): upgrade flowlens to use it`,
    );
  }
  return version;
}

/** Brings the store to STORE_SCHEMA_VERSION, step by step; returns the steps it ran. */
export async function migrateStore(con: DuckDBConnection, path: string): Promise<string[]> {
  const from = await checkStoreVersion(con, path);
  const ran: string[] = [];
  for (const step of MIGRATIONS) {
    if (step.to <= from) continue;
    await con.run('BEGIN TRANSACTION');
    try {
      await step.run(con);
      await setMeta(con, VERSION_KEY, String(step.to));
      await con.run('COMMIT');
    } catch (err) {
      await con.run('ROLLBACK').catch(() => undefined);
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw new StoreError(`store ${path}: upgrading to format ${step.to} (${step.what}) failed: ${why}`);
    }
    ran.push(step.what);
  }
  return ran;
}
