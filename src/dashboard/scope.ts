import { DERIVED_DIMS, type RollupDef } from '../store/rollups.js';
import { type Condition, type Filters, filterColumns, whereSql } from './filters.js';
import type { Row, StoreReader } from './reader.js';
import type { StoreInfo } from './store-info.js';

/** Where an aggregate reads from: a rollup when one has every column it needs, else `flows`. */
export interface Source {
  readonly table: string;
  /** The table's time column in Unix seconds (`end`, or a rollup's bucket start). */
  readonly time: string;
  readonly where: Condition;
  readonly records: string;
  readonly bytes: string;
  readonly packets: string;
  readonly rollup: boolean;
}

/** A chart's rows, or the fields the store lacks for it. */
export type Section = { readonly rows: Row[] } | { readonly missing: string[] };

const MEASURES = new Set(['bytes', 'packets', 'end']);

/** One request's view of the store: its filters, the store's facts, and a way to query. */
export class Scope {
  constructor(
    readonly reader: StoreReader,
    readonly info: StoreInfo,
    readonly filters: Filters,
  ) {}

  /**
   * The source for an aggregate grouping or filtering on `needs` (plus the filters' columns),
   * bucketed by `bucket` seconds when a time series. `conditions` are constant SQL over `needs`.
   */
  source(needs: readonly string[], conditions: readonly string[] = [], bucket?: number): Source {
    const wanted = new Set([...needs, ...filterColumns(this.filters)].filter((c) => !MEASURES.has(c)));
    const rollup = this.pickRollup(wanted, bucket);
    if (rollup) {
      return {
        table: rollup.table,
        time: 'bucket',
        where: whereSql(this.filters, 'bucket', conditions),
        records: 'sum(records)',
        bytes: 'sum(bytes)',
        packets: 'sum(packets)',
        rollup: true,
      };
    }
    // A condition naming a derived rollup column is that column's expression over `flows`.
    const overFlows = conditions.map((c) => DERIVED_DIMS.get(c) ?? c);
    return {
      table: 'flows',
      time: '"end"',
      where: whereSql(this.filters, '"end"', overFlows),
      records: 'count(*)',
      bytes: 'sum(bytes)',
      packets: 'sum(packets)',
      rollup: false,
    };
  }

  /** The filters over `flows` itself (the flow table reads records, never a rollup). */
  flowsWhere(conditions: readonly string[] = []): Condition {
    return whereSql(this.filters, '"end"', conditions);
  }

  /** The coarsest complete rollup with every wanted column whose buckets align with the range. */
  private pickRollup(wanted: ReadonlySet<string>, bucket: number | undefined): RollupDef | undefined {
    const { from, to } = this.filters;
    let best: RollupDef | undefined;
    for (const def of this.info.rollups) {
      const g = def.grain;
      if ((from !== undefined && from % g !== 0) || (to !== undefined && to % g !== 0)) continue;
      if (bucket !== undefined && bucket % g !== 0) continue;
      if (![...wanted].every((c) => def.dims.includes(c))) continue;
      if (!best || g > best.grain) best = def;
    }
    return best;
  }

  /** The columns of `needs` the store has no value in. */
  missing(needs: readonly string[]): string[] {
    return needs.filter((n) => !this.info.present.has(n));
  }

  /** Runs a section's query unless the store lacks a field it needs. */
  async section(needs: readonly string[], run: () => Promise<Row[]>): Promise<Section> {
    const missing = this.missing(needs);
    if (missing.length > 0) return { missing };
    return { rows: await run() };
  }

  query(sql: string, params: readonly unknown[]): Promise<Row[]> {
    return this.reader.query(sql, params);
  }

  /** The time range the filters select, clipped to the data (null when the store is empty). */
  range(): { from: number; to: number } | null {
    const ext = this.info.extent;
    if (!ext) return null;
    const from = this.filters.from ?? ext.min;
    const to = this.filters.to ?? ext.max + 1;
    return to > from ? { from, to } : null;
  }

  /** A bucket length giving about 120 points over the range, from a fixed ladder. */
  bucket(): number {
    const r = this.range();
    const span = r ? r.to - r.from : 3600;
    for (const step of BUCKETS) if (span / step <= 150) return step;
    return BUCKETS[BUCKETS.length - 1]!;
  }
}

const BUCKETS = [60, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400, 604800];

/** Top-N by a measure: the SQL used by most ranked charts. */
export function topSql(
  src: Source,
  keys: readonly string[],
  order: 'bytes' | 'packets' | 'records',
  limit: number,
  notNull: readonly string[] = keys,
): string {
  const keyList = keys.map((k) => `"${k}"`).join(', ');
  const nn = notNull.map((k) => `"${k}" IS NOT NULL`);
  const where = [src.where.sql, ...nn].join(' AND ');
  return `SELECT ${keyList}, ${src.records} AS records, ${src.bytes} AS bytes, ${src.packets} AS packets
FROM ${src.table} WHERE ${where}
GROUP BY ${keyList} ORDER BY ${order} DESC, ${keyList} LIMIT ${Math.floor(limit)}`;
}
