import type { OptionSpec } from '../../config/options.js';

/** The store's file; shared by ingest, query, report and demo. */
export const DB_OPTION = {
  name: 'db',
  type: 'path',
  default: './flowlens.duckdb',
  description: 'DuckDB store file',
  placeholder: 'path',
} as const satisfies OptionSpec;

/**
 * DuckDB's memory limit while ingesting. Appended data is written to the file as row groups
 * fill, so what stays cached is only a cache; past the limit DuckDB evicts it (and spills
 * staging tables to `<db>.tmp`). Keeps an ingest's peak memory bounded whatever the input size.
 */
export const STORE_MEMORY_OPTION = {
  name: 'store-memory-mb',
  type: 'int',
  min: 128,
  max: 1_048_576,
  default: 512,
  description: 'Memory limit of the store while ingesting, in MB',
  placeholder: 'MB',
} as const satisfies OptionSpec;

export const STORE_OPTIONS = [DB_OPTION, STORE_MEMORY_OPTION] as const satisfies readonly OptionSpec[];
