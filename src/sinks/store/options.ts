import type { OptionSpec } from '../../config/options.js';

/** The store's file; shared by ingest, query, report and demo. */
export const DB_OPTION: OptionSpec = {
  name: 'db',
  type: 'path',
  default: './flowlens.duckdb',
  description: 'DuckDB store file',
  placeholder: 'path',
};

export const STORE_OPTIONS: readonly OptionSpec[] = [DB_OPTION];
