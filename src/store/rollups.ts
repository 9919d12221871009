import { ENRICHMENT_TYPES, FIELD_COLUMNS, META_COLUMNS, quoteIdent } from './schema.js';

/**
 * Rollups: traffic totals per time bucket by the dimensions the dashboard groups and filters
 * on, kept beside `flows` so a panel reads thousands of rows instead of millions. Each set is
 * narrow on purpose: one ranking key (an address, a pair, a port, a country …) with only the
 * few dimensions its panels filter on, so its rows grow with the distinct keys, not with the
 * records. Each set is kept at four grains: hour, day, week and all time; a reader covers a
 * time range with the coarsest buckets that fit inside it (scope.ts). They are maintained
 * incrementally (rollup-sync.ts): the rows of `flow_records` past a watermark are aggregated
 * and appended, so a rollup may hold several rows for one bucket and key (partial sums, merged
 * now and then); readers always sum.
 */
export interface RollupDef {
  readonly table: string;
  /** Bucket length in seconds (buckets start at multiples of it, on `end`); ALL_TIME: one bucket. */
  readonly grain: number;
  /** Columns of `flows` (or derived, see DERIVED_DIMS) it groups by. */
  readonly dims: readonly string[];
}

/** The columns an interface determines: they rarely split a group of the interface-level sets. */
export const INTERFACE_DIMS = [
  'account_id',
  'region',
  'az_id',
  'vpc_id',
  'subnet_id',
  'interface_id',
  'instance_id',
];

/**
 * The lag from a record's `end` to its ingestion, as a class of a log scale with eight classes
 * per doubling (each about 9 % wide): 0 for under a second. The health panel's percentiles are
 * read from these classes (over a rollup or `flows` alike), so they are approximate to a class.
 */
export const LAG_CLASSES_PER_DOUBLING = 8;
const LAG_SECONDS = '(epoch(ingested_at) - "end")';

/** Rollup columns computed from several `flows` columns. */
export const DERIVED_DIMS: ReadonlyMap<string, string> = new Map([
  // The packet's address differs from the interface's: NAT or a middlebox (AWS docs, pkt-srcaddr).
  ['natted', '(coalesce(pkt_srcaddr <> srcaddr, false) OR coalesce(pkt_dstaddr <> dstaddr, false))'],
  // Egress to the internet that AWS bills as data transfer out (the cost panel's first category).
  [
    'internet_egress',
    "coalesce(coalesce(flow_direction, 'egress') = 'egress' AND flow_class IN ('outbound', 'external') AND coalesce(traffic_path, 8) IN (2, 8) AND pkt_dst_aws_service IS NULL, false)",
  ],
  // SYN without ACK: a connection attempt never answered (scans, half-open floods).
  ['half_open', 'coalesce(protocol = 6 AND (tcp_flags & 2) <> 0 AND (tcp_flags & 16) = 0, false)'],
  // Any RST: refused or torn-down connections.
  ['reset', 'coalesce(protocol = 6 AND (tcp_flags & 4) <> 0, false)'],
  [
    'lag_class',
    `CAST(CASE WHEN ${LAG_SECONDS} IS NULL THEN NULL WHEN ${LAG_SECONDS} < 1 THEN 0 ELSE 1 + floor(log2(${LAG_SECONDS}) * ${LAG_CLASSES_PER_DOUBLING}) END AS INTEGER)`,
  ],
]);

const DERIVED_TYPES: ReadonlyMap<string, string> = new Map([['lag_class', 'INTEGER']]);

/** The `flows` columns each derived dimension reads (NULL where a store lacks them). */
export const DERIVED_READS: ReadonlyMap<string, readonly string[]> = new Map([
  ['natted', ['pkt_srcaddr', 'srcaddr', 'pkt_dstaddr', 'dstaddr']],
  ['internet_egress', ['flow_direction', 'flow_class', 'traffic_path', 'pkt_dst_aws_service']],
  ['half_open', ['protocol', 'tcp_flags']],
  ['reset', ['protocol', 'tcp_flags']],
  ['lag_class', ['ingested_at', 'end']],
]);

/** Per set: the rows of its all-time table are about its distinct keys (measured on generated data). */
const SETS: ReadonlyArray<{ readonly name: string; readonly dims: readonly string[] }> = [
  // Totals and time series under the commonest filters; the filter bar's dropdown values.
  {
    name: 'totals',
    dims: ['action', 'log_status', 'protocol', 'flow_direction', 'traffic_path', 'flow_class'],
  },
  // The interface-level view: AWS networking, cost categories, interface rankings, reasons.
  {
    name: 'network',
    dims: [
      ...INTERFACE_DIMS,
      'action',
      'log_status',
      'protocol',
      'flow_direction',
      'traffic_path',
      'pkt_src_aws_service',
      'pkt_dst_aws_service',
      'reject_reason',
      'flow_class',
      'natted',
      'internet_egress',
    ],
  },
  { name: 'flags', dims: [...INTERFACE_DIMS, 'action', 'protocol', 'flow_direction', 'tcp_flags'] },
  // Ingestion lag classes and the inputs: the health panel.
  { name: 'lag', dims: [...INTERFACE_DIMS, 'action', 'lag_class'] },
  { name: 'inputs', dims: ['source', 'ingested_at', 'action'] },
  {
    name: 'src',
    dims: ['srcaddr', 'az_id', 'action', 'protocol', 'flow_direction', 'half_open', 'reset'],
  },
  { name: 'dst', dims: ['dstaddr', 'az_id', 'action', 'protocol', 'flow_direction', 'internet_egress'] },
  { name: 'pair', dims: ['srcaddr', 'dstaddr', 'action', 'protocol', 'flow_direction'] },
  { name: 'port', dims: ['dstport', 'protocol', 'action', 'flow_direction'] },
  { name: 'srcgeo', dims: ['src_country', 'src_asn', 'src_as_org', 'action', 'flow_direction'] },
  { name: 'dstgeo', dims: ['dst_country', 'dst_asn', 'dst_as_org', 'action', 'flow_direction'] },
];

const HOUR = 3600;
const DAY = 86400;
const WEEK = 7 * DAY;
/** The grain of a table with one bucket for all time (bucket 0; NULL for records without `end`). */
export const ALL_TIME = 0;

/** The time grains of every set, finest first; a coarser one is a whole number of the finer. */
export const GRAINS: readonly number[] = [HOUR, DAY, WEEK, ALL_TIME];

const GRAIN_NAMES: ReadonlyMap<number, string> = new Map([
  [HOUR, 'hour'],
  [DAY, 'day'],
  [WEEK, 'week'],
  [ALL_TIME, 'all'],
]);

/** One set's tables, finest grain first. */
export interface RollupSet {
  readonly name: string;
  readonly dims: readonly string[];
  readonly tables: readonly RollupDef[];
}

export const ROLLUP_SETS: readonly RollupSet[] = SETS.map((s) => ({
  name: s.name,
  dims: s.dims,
  tables: GRAINS.map((grain) => ({
    table: `flow_rollup_${s.name}_${GRAIN_NAMES.get(grain)}`,
    grain,
    dims: s.dims,
  })),
}));

/** Every rollup table. */
export const ROLLUPS: readonly RollupDef[] = ROLLUP_SETS.flatMap((s) => s.tables);

/** The bucket of a Unix-seconds expression at `grain` (NULL stays NULL). */
export function bucketSql(expr: string, grain: number): string {
  if (grain === ALL_TIME) return `CASE WHEN ${expr} IS NULL THEN NULL ELSE 0 END`;
  return `(${expr} // ${grain}) * ${grain}`;
}

/** The bucket column (Unix seconds of the bucket's start; NULL for records without `end`). */
export const BUCKET_COLUMN = 'bucket';

const COLUMN_TYPES: ReadonlyMap<string, string> = new Map<string, string>([
  ...[...FIELD_COLUMNS, ...META_COLUMNS].map((c): [string, string] => [c.name, c.type]),
  ...Object.entries(ENRICHMENT_TYPES),
]);

/** A rollup table's columns with their types, in order (as information_schema shows them). */
export function rollupColumns(def: RollupDef): string[] {
  const dims = def.dims.map(
    (d) =>
      `${d} ${DERIVED_DIMS.has(d) ? (DERIVED_TYPES.get(d) ?? 'BOOLEAN') : (COLUMN_TYPES.get(d) ?? 'VARCHAR')}`,
  );
  return [`${BUCKET_COLUMN} BIGINT`, ...dims, 'records BIGINT', 'bytes HUGEINT', 'packets HUGEINT'];
}

export function createRollupSql(def: RollupDef): string {
  const cols = rollupColumns(def).map((c) => {
    const [name, type] = c.split(' ');
    return `${quoteIdent(name!)} ${type}`;
  });
  return `CREATE TABLE IF NOT EXISTS ${def.table} (${cols.join(', ')})`;
}

/** flowlens_meta key: the rows of `flow_records` (by rowid) the rollups hold. */
export const ROLLUP_ROWS_KEY = 'rollup_rows';

/** Every dimension of every set, each once. */
const ALL_DIMS: readonly string[] = [...new Set(ROLLUP_SETS.flatMap((s) => s.dims))];

/**
 * A SELECT of the columns every set aggregates (`end`, the measures, each dimension, derived
 * ones computed) from `source`, a relation with the columns of `flows`; `flowsColumns` are the
 * columns it has: a dimension it lacks is NULL. Computed once per sync, read by every set.
 */
export function rollupInputSql(source: string, flowsColumns: ReadonlySet<string>): string {
  const select = ALL_DIMS.map((d) => {
    const expr = DERIVED_DIMS.get(d) ?? (flowsColumns.has(d) ? quoteIdent(d) : 'NULL');
    return `${expr} AS ${quoteIdent(d)}`;
  });
  // Columns a derived dimension reads that this relation lacks: typed NULLs in their place.
  const lacking = [...new Set([...DERIVED_READS.values()].flat())].filter((c) => !flowsColumns.has(c));
  const filled = lacking.length
    ? `(SELECT *, ${lacking.map((c) => `CAST(NULL AS ${COLUMN_TYPES.get(c) ?? 'VARCHAR'}) AS ${quoteIdent(c)}`).join(', ')} FROM ${source})`
    : source;
  return `SELECT "end", bytes, packets, ${select.join(', ')} FROM ${filled}`;
}

/** A SELECT of `def`'s rows aggregated from `source`, a relation of rollupInputSql's columns. */
export function aggregateFlowsSql(def: RollupDef, source: string): string {
  const dims = def.dims.map(quoteIdent).join(', ');
  return `SELECT ${bucketSql('"end"', def.grain)} AS ${BUCKET_COLUMN}, ${dims},
  count(*) AS records, sum(bytes) AS bytes, sum(packets) AS packets
FROM ${source} GROUP BY ALL`;
}

/** A SELECT of `def`'s rows re-aggregated from rollup rows of the same dimensions in `source`. */
export function aggregateRollupSql(def: RollupDef, source: string, where = 'true'): string {
  const dims = def.dims.map(quoteIdent).join(', ');
  return `SELECT ${bucketSql(BUCKET_COLUMN, def.grain)} AS ${BUCKET_COLUMN}, ${dims},
  CAST(sum(records) AS BIGINT) AS records, sum(bytes) AS bytes, sum(packets) AS packets
FROM ${source} WHERE ${where} GROUP BY ALL`;
}
