import { ALL_TIME, DERIVED_DIMS, type RollupDef, type RollupSet } from '../store/rollups.js';
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
   * bucketed by `bucket` seconds when a time series. `conditions` are constant SQL over `needs`
   * (a derived rollup column is named as such and becomes its expression over `flows`).
   */
  source(needs: readonly string[], conditions: readonly string[] = [], bucket?: number): Source {
    const wanted = new Set([...needs, ...filterColumns(this.filters)].filter((c) => !MEASURES.has(c)));
    const set = this.pickSet(wanted);
    const table = set && (bucket === undefined ? this.rangeTable(set) : this.seriesTable(set, bucket));
    if (table) {
      return {
        table: table.sql,
        time: 'bucket',
        where: whereSql(table.timeDone ? withoutTime(this.filters) : this.filters, 'bucket', conditions),
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

  /** The complete rollup set with every wanted column whose tables hold the fewest rows. */
  private pickSet(wanted: ReadonlySet<string>): RollupSet | undefined {
    let best: RollupSet | undefined;
    for (const set of this.info.rollupSets) {
      if (![...wanted].every((c) => set.dims.includes(c))) continue;
      if (!best || this.rows(set) < this.rows(best)) best = set;
    }
    return best;
  }

  private rows(set: RollupSet): number {
    return set.tables.reduce((n, t) => n + (this.info.rollupRows.get(t.table) ?? 0), 0);
  }

  /**
   * The filters' time range covered by the coarsest buckets that fit in it: whole weeks in the
   * middle, whole days beside them, hours at the edges; all time from the one-bucket table.
   * Undefined when a bound is not on an hour (only `flows` has finer times).
   */
  private rangeTable(set: RollupSet): { sql: string; timeDone: boolean } | undefined {
    const { from, to } = this.filters;
    if (from === undefined && to === undefined) {
      return { sql: set.tables.find((t) => t.grain === ALL_TIME)!.table, timeDone: false };
    }
    const grains = set.tables.filter((t) => t.grain !== ALL_TIME);
    if (!grains.every((t) => t.grain % grains[0]!.grain === 0)) return undefined;
    const finest = grains[0]!.grain;
    if ((from !== undefined && from % finest !== 0) || (to !== undefined && to % finest !== 0))
      return undefined;
    const parts = cover(from, to, [...grains].reverse());
    if (parts.length === 0)
      return { sql: `(SELECT * FROM ${grains[0]!.table} WHERE false) AS r`, timeDone: true };
    const selects = parts.map((p) => {
      const cond = [
        ...(p.from !== undefined ? [`bucket >= ${p.from}`] : []),
        ...(p.to !== undefined ? [`bucket < ${p.to}`] : []),
      ];
      return `SELECT * FROM ${p.def.table} WHERE ${cond.length ? cond.join(' AND ') : 'bucket IS NOT NULL'}`;
    });
    return { sql: `(${selects.join(' UNION ALL ')}) AS r`, timeDone: true };
  }

  /** A time series by `bucket` seconds: the coarsest table whose buckets divide it and the range. */
  private seriesTable(set: RollupSet, bucket: number): { sql: string; timeDone: boolean } | undefined {
    const { from, to } = this.filters;
    let best: RollupDef | undefined;
    for (const def of set.tables) {
      const g = def.grain;
      if (g === ALL_TIME || bucket % g !== 0) continue;
      if ((from !== undefined && from % g !== 0) || (to !== undefined && to % g !== 0)) continue;
      if (!best || g > best.grain) best = def;
    }
    return best && { sql: best.table, timeDone: false };
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

/** [from, to) as pieces each read from one table: the coarsest grain first (`grains` coarsest first). */
function cover(
  from: number | undefined,
  to: number | undefined,
  grains: readonly RollupDef[],
): Array<{ def: RollupDef; from?: number; to?: number }> {
  if (from !== undefined && to !== undefined && from >= to) return [];
  const [def, ...finer] = grains;
  if (finer.length === 0) return [{ def: def!, ...bound(from, to) }];
  const g = def!.grain;
  const lo = from === undefined ? undefined : Math.ceil(from / g) * g;
  const hi = to === undefined ? undefined : Math.floor(to / g) * g;
  if (lo !== undefined && hi !== undefined && lo >= hi) return cover(from, to, finer);
  return [
    ...(from === undefined ? [] : cover(from, lo, finer)),
    { def: def!, ...bound(lo, hi) },
    ...(to === undefined ? [] : cover(hi, to, finer)),
  ];
}

/** The filters with the time range taken out (a covered range puts it in the table). */
function withoutTime(filters: Filters): Filters {
  return { equal: filters.equal, ...(filters.ip ? { ip: filters.ip } : {}) };
}

const bound = (from: number | undefined, to: number | undefined): { from?: number; to?: number } => ({
  ...(from !== undefined ? { from } : {}),
  ...(to !== undefined ? { to } : {}),
});

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
