import { ENRICHMENT_TYPES, FIELD_COLUMNS, quoteIdent } from './schema.js';

/**
 * Rollups: traffic totals per time bucket by the dimensions the dashboard groups and filters
 * on, kept beside `flows` so a panel reads thousands of rows instead of millions. Each set of
 * dimensions is kept per hour (from `flows`) and per day (from the hourly table). They are
 * recomputed from `flows` for the buckets an input touched, inside the input's transaction:
 * a rollup always equals the aggregate of `flows` over its buckets, so a re-ingest or a rolled
 * back input cannot make them disagree.
 */
export interface RollupDef {
  readonly table: string;
  /** Bucket length in seconds (buckets start at multiples of it, on `end`). */
  readonly grain: number;
  /** Columns of `flows` (or derived, see DERIVED) it groups by. */
  readonly dims: readonly string[];
  /** The finer rollup this one is computed from, when not from `flows`. */
  readonly from?: string;
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
  { table: `flow_rollup_${s.name}_day`, grain: DAY, dims: s.dims, from: `flow_rollup_${s.name}_hour` },
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

/**
 * Statements recomputing the buckets in [lo, hi] (Unix seconds of `end`); with `nulls`, the
 * bucket of records without `end` too. `lo`/`hi` are integers the caller computed.
 */
export function refreshRollupSql(
  def: RollupDef,
  range: { readonly lo: number; readonly hi: number; readonly nulls: boolean },
  /** The columns `flows` has: a dimension it lacks is NULL. */
  flowsColumns: ReadonlySet<string>,
): string[] {
  const { lo, hi, nulls } = range;
  const first = Math.floor(lo / def.grain) * def.grain;
  const last = Math.floor(hi / def.grain) * def.grain;
  const inRange = `${BUCKET_COLUMN} BETWEEN ${first} AND ${last}${nulls ? ` OR ${BUCKET_COLUMN} IS NULL` : ''}`;
  const dims = def.dims.map(quoteIdent).join(', ');
  if (def.from) {
    const finer = `${BUCKET_COLUMN} BETWEEN ${first} AND ${last + def.grain - 1}${nulls ? ` OR ${BUCKET_COLUMN} IS NULL` : ''}`;
    return [
      `DELETE FROM ${def.table} WHERE ${inRange}`,
      `INSERT INTO ${def.table} SELECT (${BUCKET_COLUMN} // ${def.grain}) * ${def.grain} AS ${BUCKET_COLUMN}, ${dims},
  sum(records), sum(bytes), sum(packets)
FROM ${def.from} WHERE ${finer} GROUP BY ALL`,
    ];
  }
  const select = def.dims
    .map((d) => {
      const expr = DERIVED_DIMS.get(d) ?? (flowsColumns.has(d) ? quoteIdent(d) : 'NULL');
      return `${expr} AS ${quoteIdent(d)}`;
    })
    .join(', ');
  const endRange = `"end" BETWEEN ${first} AND ${last + def.grain - 1}${nulls ? ' OR "end" IS NULL' : ''}`;
  return [
    `DELETE FROM ${def.table} WHERE ${inRange}`,
    `INSERT INTO ${def.table} SELECT ("end" // ${def.grain}) * ${def.grain} AS ${BUCKET_COLUMN}, ${select},
  count(*), sum(bytes), sum(packets)
FROM flows WHERE ${endRange} GROUP BY ALL`,
  ];
}
