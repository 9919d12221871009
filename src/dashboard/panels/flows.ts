import { HttpError } from '../http-error.js';
import type { Row } from '../reader.js';
import type { Scope } from '../scope.js';

/** The flow table's columns, in order; sorting is allowed on these only. */
export const FLOW_COLUMNS: readonly string[] = [
  'start_time',
  'end_time',
  'action',
  'log_status',
  'srcaddr',
  'srcport',
  'dstaddr',
  'dstport',
  'protocol',
  'bytes',
  'packets',
  'tcp_flags',
  'flow_direction',
  'traffic_path',
  'interface_id',
  'instance_id',
  'vpc_id',
  'subnet_id',
  'az_id',
  'account_id',
  'region',
  'src_country',
  'dst_country',
  'pkt_dst_aws_service',
];

const SORT_KEYS: ReadonlyMap<string, string> = new Map([
  ['start_time', '"start"'],
  ['end_time', '"end"'],
]);

export const MAX_PAGE = 1000;
export const MAX_EXPORT = 100_000;

export interface FlowPage {
  readonly limit: number;
  readonly offset: number;
  readonly sort: string;
  readonly dir: 'asc' | 'desc';
}

export function parseFlowPage(params: URLSearchParams, max: number): FlowPage {
  const int = (name: string, dflt: number, hi: number): number => {
    const v = params.get(name);
    if (v === null || v === '') return dflt;
    if (!/^\d{1,9}$/.test(v) || Number(v) > hi) throw new HttpError(400, `${name}=${v}: expected 0..${hi}`);
    return Number(v);
  };
  const sort = params.get('sort') || 'end_time';
  if (!FLOW_COLUMNS.includes(sort)) throw new HttpError(400, `sort=${sort}: not a flow table column`);
  const dir = params.get('dir') === 'asc' ? 'asc' : 'desc';
  return { limit: int('limit', 50, max), offset: int('offset', 0, 10_000_000), sort, dir };
}

/** The columns the table shows: those the store has values in (times when it has start/end). */
export function shownColumns(scope: Scope): string[] {
  return FLOW_COLUMNS.filter((c) =>
    c === 'start_time'
      ? scope.info.present.has('start')
      : c === 'end_time'
        ? scope.info.present.has('end')
        : scope.info.present.has(c),
  );
}

/**
 * A page of records. Sorted by time (the default: newest first), it reads a recent window of
 * `end` (or `start`) first, widened eightfold until it holds the page: DuckDB then skips the
 * row groups outside it by their min/max, so the newest 50 of 10 M records read thousands.
 * Sorted by any other column, every matching record is read.
 */
export async function flowRows(scope: Scope, page: FlowPage): Promise<{ columns: string[]; rows: Row[] }> {
  const columns = shownColumns(scope);
  const list = columns.map((c) => `"${c}"`).join(', ');
  // The times are computed from `start`/`end`, which sort alike and cost nothing to read.
  const key = SORT_KEYS.get(page.sort) ?? `"${page.sort}"`;
  const read = (window: string | undefined): Promise<Row[]> => {
    const cond = scope.flowsWhere(window ? [window] : []);
    const sql = `SELECT ${list} FROM flows WHERE ${cond.sql}
ORDER BY ${key} ${page.dir} NULLS LAST, record_uid LIMIT ${page.limit} OFFSET ${page.offset}`;
    return scope.query(sql, cond.params);
  };
  const range = scope.range();
  if (!SORT_KEYS.has(page.sort) || !range) return { columns, rows: await read(undefined) };
  const wanted = page.offset + page.limit;
  // A first window expected to hold a few pages at the store's average density.
  const density = scope.info.records / Math.max(1, range.to - range.from);
  let span = Math.max(WINDOW_MIN_SECONDS, Math.ceil((4 * wanted) / Math.max(density, 1e-9)));
  for (;;) {
    if (span >= range.to - range.from) return { columns, rows: await read(undefined) };
    // Rows tied on the window's edge are all inside it, so the order within the page is exact.
    const window = page.dir === 'desc' ? `${key} >= ${range.to - span}` : `${key} < ${range.from + span}`;
    const rows = await read(window);
    if (rows.length === page.limit || page.limit === 0) return { columns, rows };
    span *= 8;
  }
}

/** The smallest recent window the flow table reads first, in seconds. */
const WINDOW_MIN_SECONDS = 3600;

export async function flowCount(scope: Scope): Promise<number> {
  const src = scope.source(['action']);
  const r = await scope.query(
    `SELECT ${src.records} AS n FROM ${src.table} WHERE ${src.where.sql}`,
    src.where.params,
  );
  return Number(r[0]?.n ?? 0);
}

/** CSV as RFC 4180 writes it: quoted when needed, times in ISO 8601. */
export function toCsv(columns: readonly string[], rows: readonly Row[]): string {
  const cell = (v: unknown, col: string): string => {
    if (v === null || v === undefined) return '';
    const text =
      col.endsWith('_time') && typeof v === 'number' ? new Date(v * 1000).toISOString() : String(v);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c], c)).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
