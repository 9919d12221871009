/**
 * What the dashboard needs from a store: run one read-only SQL statement with bound
 * parameters and get its rows. `flowlens dashboard` gives it a connection of its own over a
 * store file or a lake; `flowlens serve` can give it the service's DuckDB instance.
 */
export type Row = Record<string, unknown>;

export interface StoreReader {
  query(sql: string, params: readonly unknown[]): Promise<Row[]>;
  /**
   * Brings the store's rollups up to every record committed so far; called before each API
   * request when the store is being written meanwhile (`serve`).
   */
  catchUp?(): Promise<void>;
}

/** Counters a running pipeline knows and the store does not (see `health` in app.ts). */
export interface HealthSnapshot {
  /** When the snapshot was taken, Unix milliseconds. */
  readonly at: number;
  readonly records: number;
  readonly malformed: number;
  readonly nodata?: number;
  readonly skipdata?: number;
  /** Seconds between a record's `end` and its delivery, recent percentiles. */
  readonly lagSeconds?: { readonly p50: number; readonly p95: number; readonly max: number };
  readonly sinks: ReadonlyArray<{
    readonly name: string;
    readonly delivered: number;
    readonly failed: number;
  }>;
}
