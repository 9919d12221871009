import { existsSync } from 'node:fs';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { FlowBatch } from '../batch/flow-batch.js';
import {
  createFlowsSql,
  ENRICHMENT_TYPES,
  FLOWS_TABLE,
  MACROS_SQL,
  quoteIdent,
  quoteText,
} from './schema.js';
import { POSITION_COLUMN, RECORD_ID_COLUMN, type StagedColumn, Staging } from './staging.js';
import { derivedUidSql } from './uid.js';

export const DEFAULT_DB = './flowlens.duckdb';

/** A store problem worth one clear line: missing file, file in use, not a DuckDB file. */
export class StoreError extends Error {
  override name = 'StoreError';
}

export interface OpenOptions {
  /** Create the file and the `flows` table when missing (ingest); otherwise a missing file is an error. */
  readonly create?: boolean;
  readonly readOnly?: boolean;
}

/** Opens a DuckDB database file, with errors that say which file and why. */
export async function openDatabase(path: string, options: OpenOptions = {}): Promise<DuckDBInstance> {
  if (path !== ':memory:' && !options.create && !existsSync(path)) {
    throw new StoreError(`no store at ${path} (run 'flowlens ingest <input>' first, or pass --db PATH)`);
  }
  try {
    return await DuckDBInstance.create(path, options.readOnly ? { access_mode: 'READ_ONLY' } : {});
  } catch (err) {
    throw new StoreError(`cannot open store ${path}: ${describeOpenError(err)}`);
  }
}

function describeOpenError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/lock/i.test(msg)) return 'it is in use by another process (a running ingest?)';
  if (/not a valid DuckDB database|invalid.*database|Corrupt/i.test(msg)) return 'not a DuckDB database file';
  return msg.split('\n')[0]!;
}

/**
 * The embedded analytics store: the `flows` table in a DuckDB file. Each input is staged and
 * committed as one transaction that skips records already present (by `record_uid`), so
 * re-ingesting an input changes nothing and a failed input leaves no trace.
 */
export class FlowStore {
  private readonly stagings = new Map<string, Staging>();
  private nextStage = 1;
  private columns = new Map<string, string>();

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    readonly con: DuckDBConnection,
  ) {}

  static async open(path: string): Promise<FlowStore> {
    const instance = await openDatabase(path, { create: true });
    const con = await instance.connect();
    const store = new FlowStore(path, instance, con);
    try {
      await con.run(createFlowsSql());
      for (const sql of MACROS_SQL) await con.run(sql);
      await store.loadColumns();
    } catch (err) {
      store.closeQuietly();
      throw new StoreError(`store ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return store;
  }

  /** Appends one batch to its input's staging table. */
  async append(batch: FlowBatch): Promise<void> {
    let staging = this.stagings.get(batch.source.id);
    if (!staging) {
      staging = await Staging.create(this.con, this.nextStage++);
      this.stagings.set(batch.source.id, staging);
    }
    await staging.append(batch);
  }

  /** Moves an input's staged records into `flows` in one transaction; returns the rows added. */
  async commit(sourceId: string): Promise<{ staged: number; added: number }> {
    const staging = this.stagings.get(sourceId);
    if (!staging) return { staged: 0, added: 0 };
    this.stagings.delete(sourceId);
    try {
      staging.finish();
      await this.con.run('BEGIN TRANSACTION');
      try {
        for (const c of staging.columns) {
          if (c.name === RECORD_ID_COLUMN || this.columns.has(c.name)) continue;
          const type = ENRICHMENT_TYPES[c.name] ?? (c.list ? 'VARCHAR[]' : c.kind === 'num' ? 'DOUBLE' : 'VARCHAR');
          await this.con.run(`ALTER TABLE ${FLOWS_TABLE} ADD COLUMN ${quoteIdent(c.name)} ${type}`);
        }
        const result = await this.con.run(insertSql(staging, sourceId, await this.columnTypes()));
        await this.con.run('COMMIT');
        return { staged: staging.rows, added: result.rowsChanged };
      } catch (err) {
        await this.con.run('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        await this.loadColumns();
      }
    } finally {
      await staging.drop().catch(() => undefined);
    }
  }

  /** Forgets an input's staged records: `flows` is left as it was before the input. */
  async abort(sourceId: string): Promise<void> {
    const staging = this.stagings.get(sourceId);
    if (!staging) return;
    this.stagings.delete(sourceId);
    await staging.drop();
  }

  async close(): Promise<void> {
    for (const id of [...this.stagings.keys()]) await this.abort(id).catch(() => undefined);
    try {
      await this.con.run('CHECKPOINT');
    } finally {
      this.closeQuietly();
    }
  }

  private closeQuietly(): void {
    this.con.closeSync();
    this.instance.closeSync();
  }

  private async loadColumns(): Promise<void> {
    const reader = await this.con.runAndReadAll(
      `SELECT column_name, data_type FROM information_schema.columns
       WHERE table_name = '${FLOWS_TABLE}' AND table_schema = 'main' AND table_catalog = current_database()`,
    );
    this.columns = new Map(reader.getRowsJS().map((r) => [String(r[0]), String(r[1])]));
  }

  private async columnTypes(): Promise<Map<string, string>> {
    await this.loadColumns();
    return this.columns;
  }
}

/**
 * INSERT … SELECT from the staging table: dictionary codes joined back to text, NaN to NULL,
 * types converted to the table's, times derived, and records whose uid is already stored skipped.
 */
function insertSql(staging: Staging, sourceId: string, types: Map<string, string>): string {
  const joins: string[] = [];
  const selects: string[] = [];
  const names: string[] = [];
  let ridExpr: string | undefined;
  for (const c of staging.columns) {
    if (c.name === RECORD_ID_COLUMN) {
      ridExpr = `s.${c.stageName}`;
      continue;
    }
    let value = `s.${c.stageName}`;
    if (c.kind === 'code') {
      const alias = `d${joins.length}`;
      joins.push(`LEFT JOIN temp.main.${staging.dictTable} ${alias} ON ${alias}.code = s.${c.stageName}`);
      value = `${alias}.value`;
    }
    const target = types.get(c.name) ?? 'VARCHAR';
    selects.push(`${convert(value, c, target)} AS ${quoteIdent(c.name)}`);
    names.push(c.name);
  }
  const pos = `s.${POSITION_COLUMN}`;
  const uid = derivedUidSql(sourceId, '_pos', ridExpr ? '_rid' : undefined);
  const inner = [
    `SELECT ${[...selects, `${pos} AS _pos`, ...(ridExpr ? [`${ridExpr} AS _rid`] : [])].join(', ')}`,
    `FROM temp.main.${staging.table} s`,
    ...joins,
  ].join('\n');
  const has = (n: string): boolean => names.includes(n);
  const fieldNames = names;
  const outCols = [...fieldNames, 'start_time', 'end_time', 'record_uid', 'source', 'position', 'ingested_at'];
  const now = Date.now() * 1000;
  const outExprs = [
    ...fieldNames.map(quoteIdent),
    has('start') ? 'make_timestamp(CAST("start" AS BIGINT) * 1000000)' : 'NULL',
    has('end') ? 'make_timestamp(CAST("end" AS BIGINT) * 1000000)' : 'NULL',
    uid,
    quoteText(sourceId),
    'CAST(_pos AS BIGINT)',
    `make_timestamp(${now})`,
  ];
  return `INSERT INTO ${FLOWS_TABLE} (${outCols.map(quoteIdent).join(', ')})
SELECT * FROM (
  SELECT ${outExprs.map((e, i) => `${e} AS ${quoteIdent(outCols[i]!)}`).join(', ')}
  FROM (${inner}) src
) x
WHERE NOT EXISTS (SELECT 1 FROM ${FLOWS_TABLE} f WHERE f.record_uid = x.record_uid)`;
}

/** SQL converting a staged value to a column type (`flows`, or the lake's AWS types). */
export function convert(value: string, c: StagedColumn, target: string): string {
  const numeric = /^(INTEGER|BIGINT|DOUBLE|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|FLOAT)$/.test(target);
  if (c.kind === 'num') {
    const v = `CASE WHEN isnan(${value}) THEN NULL ELSE ${value} END`;
    if (numeric) return target === 'DOUBLE' ? v : `TRY_CAST(${v} AS ${target})`;
    if (target === 'VARCHAR') {
      return `CASE WHEN isnan(${value}) THEN NULL WHEN ${value} = trunc(${value}) AND abs(${value}) < 9e15 THEN CAST(CAST(${value} AS BIGINT) AS VARCHAR) ELSE CAST(${value} AS VARCHAR) END`;
    }
    return `TRY_CAST(${v} AS ${target})`;
  }
  if (target.endsWith('[]')) {
    return c.list
      ? `CASE WHEN ${value} = '' THEN CAST([] AS ${target}) ELSE string_split(${value}, chr(31)) END`
      : `CASE WHEN ${value} IS NULL THEN NULL ELSE [${value}] END`;
  }
  if (target === 'VARCHAR') return c.list ? `replace(${value}, chr(31), ',')` : value;
  return `TRY_CAST(${value} AS ${target})`;
}
