import {
  ROLLUP_ROWS_KEY,
  ROLLUP_SETS,
  ROLLUPS,
  type RollupDef,
  type RollupSet,
  rollupColumns,
} from '../store/rollups.js';
import type { Row, StoreReader } from './reader.js';

/** What the dashboard knows about the store it reads, refreshed when the record count changes. */
export interface StoreInfo {
  readonly records: number;
  /** Columns of `flows` that hold at least one value. */
  readonly present: ReadonlySet<string>;
  /** Rollups that exist and hold every record of `flows` (see rollups.ts). */
  readonly rollups: readonly RollupDef[];
  /** The sets whose every table is complete. */
  readonly rollupSets: readonly RollupSet[];
  /** Rows of each rollup table (DuckDB's estimate): which set is smallest for a query. */
  readonly rollupRows: ReadonlyMap<string, number>;
  /** Oldest and newest `end` in the store, Unix seconds (null when empty). */
  readonly extent: { readonly min: number; readonly max: number } | null;
  readonly alerts: boolean;
  /** A store file (with provenance columns), not a lake. */
  readonly store: boolean;
}

/** Columns the panels read, probed once for values. */
export const DASHBOARD_COLUMNS: readonly string[] = [
  'account_id',
  'region',
  'az_id',
  'vpc_id',
  'subnet_id',
  'interface_id',
  'instance_id',
  'action',
  'log_status',
  'protocol',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'packets',
  'bytes',
  'start',
  'end',
  'tcp_flags',
  'flow_direction',
  'traffic_path',
  'pkt_srcaddr',
  'pkt_dstaddr',
  'pkt_src_aws_service',
  'pkt_dst_aws_service',
  'reject_reason',
  'src_country',
  'dst_country',
  'src_asn',
  'dst_asn',
  'src_as_org',
  'dst_as_org',
  'src_network_class',
  'dst_network_class',
  'flow_class',
  'ingested_at',
  'source',
];

export async function loadStoreInfo(reader: StoreReader, previous?: StoreInfo): Promise<StoreInfo> {
  const tables = await reader.query(
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'main'`,
    [],
  );
  const names = new Set(tables.map((r) => String(r.t)));
  // The physical table counts from its metadata; the view would compute every column first.
  const count = await reader.query(
    `SELECT count(*) AS n FROM ${names.has('flow_records') ? 'flow_records' : 'flows'}`,
    [],
  );
  const records = Number(count[0]?.n ?? 0);
  if (previous && previous.records === records) {
    // Rollups a writer had not caught up with may be complete by now.
    if (previous.rollups.length === ROLLUPS.length || !names.has(ROLLUPS[0]!.table)) return previous;
    return { ...previous, ...(await completeRollups(reader, records)) };
  }
  const cols = await reader.query(
    `SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'flows' AND table_schema = 'main'`,
    [],
  );
  const existing = new Set(cols.map((r) => String(r.c)));
  // Records are only ever added: a column with values keeps them, only the others are probed again.
  const present = new Set<string>([...(previous?.present ?? [])].filter((c) => existing.has(c)));
  const candidates = DASHBOARD_COLUMNS.filter((c) => existing.has(c) && !present.has(c));
  if (candidates.length > 0 && records > 0) {
    const probes = candidates.map((c, i) => `EXISTS (SELECT 1 FROM flows WHERE "${c}" IS NOT NULL) AS p${i}`);
    const row = (await reader.query(`SELECT ${probes.join(', ')}`, []))[0] ?? {};
    candidates.forEach((c, i) => {
      if (row[`p${i}`] === true) present.add(c);
    });
  }
  const rollups = await completeRollups(reader, records);
  const ext = present.has('end')
    ? (await reader.query('SELECT min("end") AS lo, max("end") AS hi FROM flows', []))[0]
    : undefined;
  return {
    records,
    present,
    ...rollups,
    extent: ext && ext.lo !== null && ext.hi !== null ? { min: Number(ext.lo), max: Number(ext.hi) } : null,
    alerts: names.has('alerts'),
    store: names.has('flow_records'),
  };
}

/** The rollups of this version that hold every one of the store's `records`, and their sizes. */
async function completeRollups(
  reader: StoreReader,
  records: number,
): Promise<Pick<StoreInfo, 'rollups' | 'rollupSets' | 'rollupRows'>> {
  const complete = await completeTables(reader, records);
  const tables = new Set(complete.map((d) => d.table));
  const sizes = complete.length
    ? await reader.query(
        `SELECT table_name AS t, estimated_size AS n FROM duckdb_tables() WHERE table_name LIKE 'flow_rollup_%' AND schema_name = 'main'`,
        [],
      )
    : [];
  return {
    rollups: complete,
    rollupSets: ROLLUP_SETS.filter((s) => s.tables.every((t) => tables.has(t.table))),
    rollupRows: new Map(sizes.map((r) => [String(r.t), Number(r.n)])),
  };
}

async function completeTables(reader: StoreReader, records: number): Promise<RollupDef[]> {
  const rollupCols = await reader.query(
    `SELECT table_name AS t, list(column_name || ' ' || data_type ORDER BY ordinal_position) AS c FROM information_schema.columns
     WHERE table_name LIKE 'flow_rollup_%' AND table_schema = 'main' GROUP BY 1`,
    [],
  );
  const shapes = new Map(rollupCols.map((r) => [String(r.t), (r.c as unknown[]).map(String).join(',')]));
  if (shapes.size === 0) return [];
  // The store's watermark (rollup-sync.ts) says how many of its rows the rollups hold: reading
  // it spares summing every rollup. Rows are only appended, so equal counts mean every row.
  const mark = await reader
    .query('SELECT value AS v FROM flowlens_meta WHERE key = ?', [ROLLUP_ROWS_KEY])
    // A store of a flowlens without flowlens_meta: the rollups are summed instead.
    .catch((): Row[] => []);
  const watermark = mark[0]?.v === null || mark[0]?.v === undefined ? undefined : Number(mark[0].v);
  const rollups: RollupDef[] = [];
  for (const def of ROLLUPS) {
    // A rollup of another flowlens version (other columns) is not used.
    if (shapes.get(def.table) !== rollupColumns(def).join(',')) continue;
    if (watermark !== undefined) {
      if (watermark === records) rollups.push(def);
      continue;
    }
    const r = await reader.query(`SELECT coalesce(sum(records), 0) AS n FROM ${def.table}`, []);
    if (Number(r[0]?.n ?? -1) === records) rollups.push(def);
  }
  return rollups;
}
