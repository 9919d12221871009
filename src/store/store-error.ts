/** A store problem worth one clear line: missing file, file in use, not a DuckDB file, a type clash. */
export class StoreError extends Error {
  override name = 'StoreError';
}
