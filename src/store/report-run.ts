import type { DuckDBConnection } from '@duckdb/node-api';
import { type Cell, readTable } from './output.js';
import { type ReportDef, type ReportSection, TOP_TALKERS_BY_PACKETS } from './reports.js';
import { FLOWS_TABLE, quoteIdent, RECORDS_TABLE } from './schema.js';
import { autoInterval, formatDuration } from './time.js';

export interface ReportOptions {
  /** Unix seconds: records whose `end` is at or after. */
  readonly since?: number;
  /** Unix seconds: records whose `end` is before. */
  readonly until?: number;
  readonly limit: number;
  /** Bucket seconds for time series; automatic (≤ 48 buckets) when absent. */
  readonly interval?: number;
  /** top-talkers ordering. */
  readonly by?: 'bytes' | 'packets';
}

export interface SectionResult {
  readonly title: string;
  readonly columns?: readonly string[];
  readonly rows?: Cell[][];
  /** Fields the section needs that the store lacks (absent or all NULL). */
  readonly missing?: readonly string[];
}

export interface ReportResult {
  readonly report: string;
  readonly since: string | null;
  readonly until: string | null;
  readonly interval?: string;
  /** Records in the store (whole table). */
  readonly records: number;
  readonly sections: readonly SectionResult[];
}

/** Runs every section of a report; sections whose fields are missing say which instead. */
export async function runReport(
  con: DuckDBConnection,
  def: ReportDef,
  options: ReportOptions,
): Promise<ReportResult> {
  const sections =
    def.name === 'top-talkers' && options.by === 'packets' ? TOP_TALKERS_BY_PACKETS : def.sections;
  // The store's physical columns, read once (none for a lake): the fast paths depend on them.
  const physical = await physicalTypes(con);
  const records = await countRecords(con, physical.has('uid'));
  const present = await presentColumns(con, [
    ...new Set([...sections.flatMap((s) => s.needs), ...(def.preludeNeeds ?? [])]),
  ]);
  const filter = filterSql(options);
  const usesInterval = sections.some((s) => s.sql.includes('{interval}'));
  const interval = usesInterval ? (options.interval ?? (await autoBucket(con, filter))) : undefined;
  if ((def.preludeNeeds ?? []).every((n) => present.has(n))) {
    const fast = def.fastPrelude;
    const needs = fast ? [...fast.needs, ...(filter === 'TRUE' ? [] : ['end'])] : [];
    const prelude = fast && needs.every((n) => physical.has(n)) ? fast.sql : (def.prelude ?? []);
    for (const sql of prelude) await con.run(fill(sql, filter, options.limit, interval));
  }
  const results: SectionResult[] = [];
  for (const section of sections) {
    const missing = section.needs.filter((n) => !present.has(n));
    if (missing.length > 0) {
      results.push({ title: section.title, missing });
      continue;
    }
    // A section over columns the store keeps as codes groups the codes (stored-totals.ts).
    const stored = filter === 'TRUE' || physical.has('end') ? section.stored?.(physical) : undefined;
    const sql = stored
      ? fill(stored, filter, options.limit, interval)
      : sectionSql(section, filter, options.limit, interval);
    const reader = await con.stream(sql);
    const table = await readTable(reader);
    results.push({ title: section.title, columns: table.columns, rows: table.rows });
  }
  return {
    report: def.name,
    since: options.since === undefined ? null : new Date(options.since * 1000).toISOString(),
    until: options.until === undefined ? null : new Date(options.until * 1000).toISOString(),
    ...(interval !== undefined ? { interval: formatDuration(interval) } : {}),
    records,
    sections: results,
  };
}

export function sectionSql(section: ReportSection, filter: string, limit: number, interval?: number): string {
  return fill(section.sql, filter, limit, interval);
}

function fill(sql: string, filter: string, limit: number, interval?: number): string {
  return sql
    .replaceAll('{filter}', `(${filter})`)
    .replaceAll('{limit}', String(limit))
    .replaceAll('{interval}', `to_seconds(${interval ?? 3600})`);
}

export function filterSql(options: Pick<ReportOptions, 'since' | 'until'>): string {
  const parts: string[] = [];
  if (options.since !== undefined) parts.push(`"end" >= ${Math.floor(options.since)}`);
  if (options.until !== undefined) parts.push(`"end" < ${Math.floor(options.until)}`);
  return parts.length ? parts.join(' AND ') : 'TRUE';
}

/**
 * Records in the store: counted on `flow_records` when there is one (the same rows; through
 * `flows` the count also builds the side tables' value lists), else on `flows` (a lake).
 */
async function countRecords(con: DuckDBConnection, store: boolean): Promise<number> {
  const r = await con.runAndReadAll(`SELECT count(*) FROM ${store ? RECORDS_TABLE : FLOWS_TABLE}`);
  return Number(r.getRowsJS()[0]![0]);
}

/** The needed columns that exist in `flows` and hold at least one non-NULL value. */
async function presentColumns(con: DuckDBConnection, names: readonly string[]): Promise<Set<string>> {
  const r = await con.runAndReadAll(
    `SELECT column_name FROM information_schema.columns WHERE table_name = '${FLOWS_TABLE}' AND table_schema = 'main'`,
  );
  const existing = new Set(r.getRowsJS().map((row) => String(row[0])));
  const candidates = names.filter((n) => existing.has(n));
  if (candidates.length === 0) return new Set();
  const probes = candidates.map(
    (n, i) => `EXISTS (SELECT 1 FROM ${FLOWS_TABLE} WHERE ${quoteIdent(n)} IS NOT NULL) AS p${i}`,
  );
  const row = (await con.runAndReadAll(`SELECT ${probes.join(', ')}`)).getRowsJS()[0]!;
  return new Set(candidates.filter((_, i) => row[i] === true));
}

/**
 * The store's physical columns and their types (none for a lake): `flow_records`' by name,
 * the side tables' (`flow_…_dict`) as `table.column`.
 */
async function physicalTypes(con: DuckDBConnection): Promise<Map<string, string>> {
  const r = await con.runAndReadAll(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
     WHERE (table_name = '${RECORDS_TABLE}' OR table_name LIKE 'flow_%_dict' ESCAPE '')
       AND table_schema = 'main' AND table_catalog = current_database()`,
  );
  return new Map(
    r
      .getRowsJS()
      .map(([table, column, type]) => [
        table === RECORDS_TABLE ? String(column) : `${String(table)}.${String(column)}`,
        String(type),
      ]),
  );
}

async function autoBucket(con: DuckDBConnection, filter: string): Promise<number> {
  const r = await con.runAndReadAll(`SELECT min("end"), max("end") FROM ${FLOWS_TABLE} WHERE ${filter}`);
  const [lo, hi] = r.getRowsJS()[0]!;
  if (lo === null || hi === null) return 3600;
  return autoInterval(Number(hi) - Number(lo));
}
