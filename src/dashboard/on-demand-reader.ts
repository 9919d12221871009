import { openDatabase, StoreError } from '../store/store.js';
import { DuckDbStoreReader } from './duckdb-reader.js';
import { HttpError } from './http-error.js';
import type { Row, StoreReader } from './reader.js';

/**
 * A StoreReader that opens the store file read-only for each query and closes it again, for a
 * process whose store sink opens the same file for writing per request (today's `serve`). A
 * query while a write holds the file answers 503; a service holding one DuckDB instance gives
 * the dashboard a reader over that instance instead.
 */
export class OnDemandStoreReader implements StoreReader {
  constructor(private readonly path: string) {}

  async query(sql: string, params: readonly unknown[]): Promise<Row[]> {
    let instance: Awaited<ReturnType<typeof openDatabase>>;
    try {
      instance = await openDatabase(this.path, { readOnly: true });
    } catch (err) {
      const busy = err instanceof StoreError && /in use/.test(err.message);
      throw new HttpError(
        503,
        busy ? `the store ${this.path} is being written; retry in a moment` : (err as Error).message,
      );
    }
    try {
      const reader = await DuckDbStoreReader.over(instance, await instance.connect(), 1);
      return await reader.query(sql, params);
    } finally {
      instance.closeSync();
    }
  }
}
