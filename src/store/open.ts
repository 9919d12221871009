import { existsSync, statSync } from 'node:fs';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { checkStoreVersion } from './migrations.js';
import { FLOWS_TABLE, MACROS_SQL, quoteText } from './schema.js';
import { openDatabase, StoreError } from './store.js';

/** A read connection over the store file, or over a Parquet lake as a view named `flows`. */
export interface Reader {
  readonly con: DuckDBConnection;
  /** The instance `con` belongs to (more connections for readers running side by side). */
  readonly instance: DuckDBInstance;
  close(): void;
}

/** Opens the store read-only; a missing file is an error (query never creates an empty store). */
export async function openStoreReader(path: string): Promise<Reader> {
  const instance = await openDatabase(path, { readOnly: true });
  const con = await instance.connect();
  const reader = {
    con,
    instance,
    close: () => {
      con.closeSync();
      instance.closeSync();
    },
  };
  const r = await con.runAndReadAll(
    `SELECT count(*) FROM information_schema.tables WHERE table_name = '${FLOWS_TABLE}' AND table_schema = 'main'`,
  );
  if (Number(r.getRowsJS()[0]![0]) === 0) {
    reader.close();
    throw new StoreError(`${path} has no flows table (is it a flowlens store?)`);
  }
  try {
    await checkStoreVersion(con, path);
  } catch (err) {
    reader.close();
    throw err;
  }
  return reader;
}

/** The lake's Parquet files as the view `flows` (hive partitions become columns), in memory. */
export async function openLakeReader(dir: string): Promise<Reader> {
  if (dir.startsWith('s3://')) {
    throw new StoreError(
      `--lake ${dir}: reading a lake on S3 needs DuckDB's httpfs extension, which is not available offline; copy it locally or query it with Athena ('flowlens athena-ddl')`,
    );
  }
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new StoreError(`--lake ${dir}: no such directory`);
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  const reader = {
    con,
    instance,
    close: () => {
      con.closeSync();
      instance.closeSync();
    },
  };
  const glob = `${dir.replace(/\/+$/, '')}/**/*.parquet`;
  try {
    const parts = "{'year': 'INTEGER', 'month': 'INTEGER', 'day': 'INTEGER', 'hour': 'INTEGER'}";
    const source = `read_parquet(${quoteText(glob)}, hive_partitioning = true, union_by_name = true, hive_types = ${parts})`;
    const described = await con.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
    const names = new Set(described.getRowsJS().map((r) => String(r[0])));
    // The same derived times as the store, so reports and queries read alike.
    const times = ['start', 'end']
      .filter((c) => names.has(c))
      .map((c) => `make_timestamp(CAST("${c}" AS BIGINT) * 1000000) AS ${c}_time`);
    await con.run(`CREATE VIEW ${FLOWS_TABLE} AS SELECT ${['*', ...times].join(', ')} FROM ${source}`);
    for (const sql of MACROS_SQL) await con.run(sql);
  } catch (err) {
    reader.close();
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new StoreError(
      `--lake ${dir}: ${/No files found/i.test(msg ?? '') ? 'no Parquet files in it' : msg}`,
    );
  }
  return reader;
}
