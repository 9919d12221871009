import type { DuckDBConnection } from '@duckdb/node-api';
import { type AlertsConfig, builtinSettings } from './config.js';
import type { BaselineSource } from './rules/group-rule.js';

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

/** The median of values, the days without a value counting as 0. */
function median(values: readonly number[], days: number): number {
  const all = [...values, ...new Array<number>(Math.max(0, days - values.length)).fill(0)].sort(
    (a, b) => a - b,
  );
  const mid = all.length >> 1;
  return all.length % 2 === 1 ? all[mid]! : (all[mid - 1]! + all[mid]!) / 2;
}

/**
 * Baselines from the store for the rules that take one: for every key and window whose value
 * reaches the rule's threshold in [since, until), the median of the same window on each of the
 * previous `baseline_days` days the store covers (days without records for the key count as 0).
 * Where the store covers no earlier day, there is no baseline and the threshold alone decides.
 */
export async function storeBaselines(
  con: DuckDBConnection,
  config: AlertsConfig,
  since: number | undefined,
  until: number | undefined,
): Promise<BaselineSource> {
  const have = new Set((await con.runAndReadAll('DESCRIBE flows')).getRowsJS().map((r) => String(r[0])));
  const span = (await con.runAndReadAll('SELECT min("end"), max("end") FROM flows')).getRowsJS()[0]!;
  const table = new Map<string, number>();
  if (span[0] === null) return { lookup: () => undefined };
  const first = Number(span[0]);
  for (const [rule, m] of Object.entries(MEASURES)) {
    const s = builtinSettings(rule, config);
    const filter = m.filter(have);
    if (!s || filter === null) continue;
    const w = Number(s.window);
    const days = Number(s.baseline_days);
    const threshold = Number(s.threshold);
    const lo = (since ?? first) - days * DAY;
    const hi = until ?? Number(span[1]) + 1;
    const sql = `WITH w AS (
        SELECT ${m.key(have)} AS k, CAST(floor("end" / ${w}) * ${w} AS BIGINT) AS ws, ${m.value} AS v
        FROM flows WHERE ${filter} AND "end" >= ${Math.floor(lo)} AND "end" < ${Math.floor(hi)} GROUP BY ALL)
      SELECT a.k, a.ws, list(b.v) FILTER (WHERE b.v IS NOT NULL)
      FROM w a LEFT JOIN w b ON b.k = a.k AND b.ws < a.ws AND b.ws >= a.ws - ${days * DAY} AND (a.ws - b.ws) % ${DAY} = 0
      WHERE a.v >= ${threshold} GROUP BY a.k, a.ws`;
    for (const [k, ws, list] of (await con.runAndReadAll(sql)).getRowsJS()) {
      const start = Number(ws);
      // previous days the store has records for at all
      const covered = Math.min(days, Math.floor((start - Math.floor(first / DAY) * DAY) / DAY));
      if (covered <= 0) continue;
      const values = (Array.isArray(list) ? list : []).map(Number);
      table.set(`${rule}\u0000${String(k)}\u0000${start}`, median(values, covered));
    }
  }
  return { lookup: (rule, key, ws) => table.get(`${rule}\u0000${key}\u0000${ws}`) };
}
