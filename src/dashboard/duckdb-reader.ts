import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { plainRow } from '../store/plain-rows.js';
import { StoreError } from '../store/store-error.js';
import type { Row, StoreReader } from './reader.js';

/**
 * A StoreReader over a DuckDB instance: a few connections used in turn, so the page's panel
 * requests run side by side (one DuckDB connection runs one statement at a time).
 */
export class DuckDbStoreReader implements StoreReader {
  private next = 0;

  private constructor(private readonly cons: readonly DuckDBConnection[]) {}

  static async over(instance: DuckDBInstance, first: DuckDBConnection, size = 4): Promise<DuckDbStoreReader> {
    const cons = [first];
    while (cons.length < size) cons.push(await instance.connect());
    return new DuckDbStoreReader(cons);
  }

  async query(sql: string, params: readonly unknown[]): Promise<Row[]> {
    const con = this.cons[this.next++ % this.cons.length]!;
    const reader = await con.runAndReadAll(sql, params.map(toDuckValue));
    return reader.getRowObjectsJS().map(plainRow);
  }

  /** Closes the extra connections; the first belongs to whoever opened the store. */
  close(): void {
    for (const con of this.cons.slice(1)) con.closeSync();
  }
}

function toDuckValue(value: unknown): DuckDBValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value;
  throw new StoreError(`a query parameter of type ${typeof value} cannot be bound`);
}
