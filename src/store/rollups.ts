import { ENRICHMENT_TYPES, FIELD_COLUMNS, quoteIdent } from './schema.js';

/**
 * Rollups: traffic totals per time bucket by the dimensions the dashboard groups and filters
 * on, kept beside `flows` so a panel reads thousands of rows instead of millions. Each set of
 * dimensions is kept per hour and per day. They are maintained incrementally (rollup-sync.ts):
 * the rows of `flow_records` past a watermark are aggregated and appended, so a rollup may hold
 * several rows for one bucket and key (partial sums, merged now and then); readers always sum.
 */
export interface RollupDef {
  readonly table: string;
  /** Bucket length in seconds (buckets start at multiples of it, on `end`). */
  readonly grain: number;
  /** Columns of `flows` (or derived, see DERIVED) it groups by. */
  readonly dims: readonly string[];
}

/** The columns an interface determines: free to add to every rollup (they rarely split a group). */
const INTERFACE_DIMS = [
  'account_id',
  'region',
  'az_id',
  'vpc_id',
  'subnet_id',
  'interface_id',
  'instance_id',
];

/** Rollup columns computed from several `flows` columns. */
export const DERIVED_DIMS: ReadonlyMap<string, string> = new Map([
  // The packet's address differs from the interface's: NAT or a middlebox (AWS docs, pkt-srcaddr).
  ['natted', '(coalesce(pkt_srcaddr <> srcaddr, false) OR coalesce(pkt_dstaddr <> dstaddr, false))'],
]);

const SETS: ReadonlyArray<{ readonly name: string; readonly dims: readonly string[] }> = [
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
    ],
  },
  {
    name: 'geo',
    dims: [
      ...INTERFACE_DIMS,
      'action',
      'flow_direction',
      'flow_class',
      'src_country',
      'dst_country',
      'src_asn',
      'dst_asn',
      'src_as_org',
      'dst_as_org',
      'src_network_class',
      'dst_network_class',
    ],
  },
  {
    name: 'ports',
    dims: [...INTERFACE_DIMS, 'action', 'protocol', 'flow_direction', 'dstport', 'tcp_flags'],
  },
  {
    name: 'addrs',
    // flow_class, traffic_path and the AWS service follow from the addresses: free here, and they
    // let the cost panel rank internet egress by destination.
    dims: [
      ...INTERFACE_DIMS,
      'action',
      'protocol',
      'flow_direction',
      'srcaddr',
      'dstaddr',
      'tcp_flags',
      'flow_class',
      'traffic_path',
      'pkt_dst_aws_service',
    ],
  },
];

const HOUR = 3600;
const DAY = 86400;

/** Every rollup, finest first within a set. */
export const ROLLUPS: readonly RollupDef[] = SETS.flatMap((s) => [
  { table: `flow_rollup_${s.name}_hour`, grain: HOUR, dims: s.dims },
  { table: `flow_rollup_${s.name}_day`, grain: DAY, dims: s.dims },
]);

/** The bucket column (Unix seconds of the bucket's start; NULL for records without `end`). */
export const BUCKET_COLUMN = 'bucket';

const COLUMN_TYPES: ReadonlyMap<string, string> = new Map<string, string>([
  ...FIELD_COLUMNS.map((c): [string, string] => [c.name, c.type]),
  ...Object.entries(ENRICHMENT_TYPES),
]);

/** A rollup table's columns with their types, in order (as information_schema shows them). */
export function rollupColumns(def: RollupDef): string[] {
  const dims = def.dims.map(
    (d) => `${d} ${DERIVED_DIMS.has(d) ? 'BOOLEAN' : (COLUMN_TYPES.get(d) ?? 'VARCHAR')}`,
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

/** One set's hourly and daily tables. */
export interface RollupSet {
  readonly hour: RollupDef;
  readonly day: RollupDef;
}

export const ROLLUP_SETS: readonly RollupSet[] = SETS.map((s) => ({
  hour: ROLLUPS.find((d) => d.table === `flow_rollup_${s.name}_hour`)!,
  day: ROLLUPS.find((d) => d.table === `flow_rollup_${s.name}_day`)!,
}));

/**
 * A SELECT of `def`'s rows (bucket, dimensions, sums) aggregated from `source`, a relation
 * with the columns of `flows`. `flowsColumns` are the columns it has: a dimension it lacks is NULL.
 */
export function aggregateFlowsSql(def: RollupDef, source: string, flowsColumns: ReadonlySet<string>): string {
  const select = def.dims
    .map((d) => {
      const expr = DERIVED_DIMS.get(d) ?? (flowsColumns.has(d) ? quoteIdent(d) : 'NULL');
      return `${expr} AS ${quoteIdent(d)}`;
    })
    .join(', ');
  return `SELECT ("end" // ${def.grain}) * ${def.grain} AS ${BUCKET_COLUMN}, ${select},
  count(*) AS records, sum(bytes) AS bytes, sum(packets) AS packets
FROM ${source} GROUP BY ALL`;
}

/** A SELECT of `def`'s rows re-aggregated from rollup rows of the same dimensions in `source`. */
export function aggregateRollupSql(def: RollupDef, source: string, where = 'true'): string {
  const dims = def.dims.map(quoteIdent).join(', ');
  return `SELECT (${BUCKET_COLUMN} // ${def.grain}) * ${def.grain} AS ${BUCKET_COLUMN}, ${dims},
  CAST(sum(records) AS BIGINT) AS records, sum(bytes) AS bytes, sum(packets) AS packets
FROM ${source} WHERE ${where} GROUP BY ALL`;
}
