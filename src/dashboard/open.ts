import { openLakeReader, openStoreReader } from '../store/open.js';
import { DuckDbStoreReader } from './duckdb-reader.js';

export interface OpenedStore {
  readonly reader: DuckDbStoreReader;
  readonly label: string;
  close(): void;
}

/** A read-only store file, or a Parquet lake seen as `flows`, for the dashboard. */
export async function openDashboardStore(source: { db?: string; lake?: string }): Promise<OpenedStore> {
  const opened =
    source.lake !== undefined ? await openLakeReader(source.lake) : await openStoreReader(source.db!);
  const reader = await DuckDbStoreReader.over(opened.instance, opened.con);
  return {
    reader,
    label: source.lake ?? source.db!,
    close: () => {
      reader.close();
      opened.close();
    },
  };
}
