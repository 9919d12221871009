import { type AlertsConfig, builtinSettings } from './config.js';
import type { BaselineSource } from './rules/group-rule.js';

/** Rows of a query over the store, as objects by column name. */
export type QueryRows = (sql: string) => Promise<readonly Record<string, unknown>[]>;

/** Classes the engine counts as local (see view.ts), as the store's network enricher names them. */
const LOCAL = "('private', 'shared', 'loopback', 'link-local', 'unspecified')";

/** How each baseline rule's windows are measured in SQL over `flows`, mirroring its selector. */
const MEASURES: Readonly<
  Record<
    string,
    { key: (have: Set<string>) => string; value: string; filter: (have: Set<string>) => string | null }
  >
> = {
  'reject-spike-interface': {
    key: () => 'interface_id',
    value: 'count(*)',
    filter: () => "action = 'REJECT'",
  },
  'reject-spike-source': {
    key: (have) => (have.has('pkt_srcaddr') ? 'coalesce(pkt_srcaddr, srcaddr)' : 'srcaddr'),
    value: 'count(*)',
    filter: () => "action = 'REJECT'",
  },
  'egress-volume': {
    key: () => 'interface_id',
    value: 'sum(bytes)',
    filter: (have) =>
      have.has('src_network_class') && have.has('dst_network_class')
        ? `action = 'ACCEPT' AND src_network_class IN ${LOCAL} AND dst_network_class = 'public'`
        : null,
  },
};

const DAY = 86400;
/** Baselines kept per rule and day at most; keys past it count as having a baseline of 0. */
export const MAX_BASELINES = 200_000;
/** Days whose baselines stay loaded: those of the records being evaluated and the two before. */
const DAYS_KEPT = 3;

/** The median of values, the days without a value counting as 0. */
function median(values: readonly number[], days: number): number {
  const all = [...values, ...new Array<number>(Math.max(0, days - values.length)).fill(0)].sort(
    (a, b) => a - b,
  );
  const mid = all.length >> 1;
  return all.length % 2 === 1 ? all[mid]! : (all[mid - 1]! + all[mid]!) / 2;
}

/** One day's baselines: per rule the previous days the store covers, and the medians above 0. */
interface DayBaselines {
  readonly covered: Map<string, number>;
  /** By rule, key and time of day (seconds since midnight UTC of the window start). */
  readonly medians: Map<string, number>;
}

/**
 * Baselines from the store for the rules that take one: for a key and a window, the median of
 * the same window (same time of day) on each of the previous `baseline_days` days the store
 * covers, days without records for the key counting as 0. Where the store covers no earlier day,
 * there is none and the threshold alone decides.
 *
 * Loaded a day at a time (`prepare`, before records of that day are evaluated: at start, and
 * when record time crosses midnight), for the days being evaluated and the two before. Bounded:
 * a day holds only the
 * medians above 0 — keys present on more than half of the covered days in that window — and at
 * most MAX_BASELINES of them per rule, the highest; a key left out counts as 0, which lets the
 * threshold alone decide (an alert is never suppressed by a baseline that was not loaded).
 */
export class StoreBaselines implements BaselineSource {
  private readonly days = new Map<number, DayBaselines>();

  constructor(
    private readonly query: QueryRows,
    private readonly config: AlertsConfig,
  ) {}

  /** Loads the baselines of the days of record times `from`…`to` (Unix seconds) not loaded yet. */
  async prepare(from: number, to: number): Promise<void> {
    if (!Number.isFinite(from)) from = to;
    if (!Number.isFinite(to)) to = from;
    if (!Number.isFinite(from)) return;
    const first = Math.floor(from / DAY);
    // days before these records' that windows still open may need (lateness is far below a day)
    for (const day of this.days.keys()) if (day < first - DAYS_KEPT + 1) this.days.delete(day);
    for (let day = first; day <= Math.floor(to / DAY); day++) {
      if (!this.days.has(day)) this.days.set(day, await this.load(day));
    }
  }

  lookup(rule: string, key: string, windowStart: number): number | undefined {
    const day = Math.floor(windowStart / DAY);
    const b = this.days.get(day);
    if (!b || !((b.covered.get(rule) ?? 0) > 0)) return undefined;
    return b.medians.get(`${rule}\u0000${key}\u0000${windowStart - day * DAY}`) ?? 0;
  }

  private async load(day: number): Promise<DayBaselines> {
    const out: DayBaselines = { covered: new Map(), medians: new Map() };
    let have: Set<string>;
    let first: number;
    try {
      have = new Set((await this.query('DESCRIBE flows')).map((r) => String(r.column_name)));
      first = Number((await this.query('SELECT min("end") AS first FROM flows'))[0]?.first ?? Number.NaN);
    } catch {
      return out; // no flows table yet: no baselines
    }
    if (Number.isNaN(first)) return out;
    const dayStart = day * DAY;
    for (const [rule, m] of Object.entries(MEASURES)) {
      const s = builtinSettings(rule, this.config);
      const filter = m.filter(have);
      if (!s || filter === null) continue;
      const w = Number(s.window);
      const days = Number(s.baseline_days);
      // previous days the store has records for at all
      const covered = Math.min(days, Math.floor((dayStart - Math.floor(first / DAY) * DAY) / DAY));
      out.covered.set(rule, covered);
      if (covered <= 0) continue;
      const sql = `WITH w AS (
          SELECT ${m.key(have)} AS k, CAST(floor("end" / ${w}) * ${w} AS BIGINT) AS ws, ${m.value} AS v
          FROM flows WHERE ${filter} AND "end" >= ${dayStart - days * DAY} AND "end" < ${dayStart} GROUP BY ALL)
        SELECT k, ws % ${DAY} AS tod, list(v) AS vs FROM w
        GROUP BY k, tod HAVING count(*) * 2 > ${covered}
        ORDER BY median(v) DESC LIMIT ${MAX_BASELINES}`;
      for (const r of await this.query(sql)) {
        const values = (Array.isArray(r.vs) ? r.vs : []).map(Number);
        out.medians.set(`${rule}\u0000${String(r.k)}\u0000${Number(r.tod)}`, median(values, covered));
      }
    }
    return out;
  }
}
