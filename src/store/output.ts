import type { DuckDBResult } from '@duckdb/node-api';

/**
 * Query results as people and programs read them: an aligned text table, JSON (an array of
 * row objects; BIGINTs as numbers when exact, strings beyond 2^53) or CSV (RFC 4180).
 */

export type Cell = string | number | boolean | null | Cell[] | { [key: string]: Cell };

export interface ResultTable {
  readonly columns: readonly string[];
  readonly rows: Cell[][];
}

/** A JS value from DuckDB as plain JSON-friendly data. */
export function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString().replace('.000Z', 'Z');
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(toCell);
  if (typeof v === 'object') {
    const out: Record<string, Cell> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = toCell(x);
    return out;
  }
  return String(v);
}

/** Reads a whole result (reports: small by construction). */
export async function readTable(result: DuckDBResult): Promise<ResultTable> {
  const columns = result.deduplicatedColumnNames();
  const rows: Cell[][] = [];
  for await (const batch of result.yieldRowsJs()) for (const r of batch) rows.push(r.map(toCell));
  return { columns, rows };
}

/** Columns holding identifiers or codes rather than quantities: no thousands separators. */
const CODE_COLUMN = /port|protocol|asn|_id$|^id$|year|month|day|hour|version|position|flags|path|status/i;

/** Text of one cell in a table: thousands separators for quantities, ISO time without the T. */
export function displayCell(c: Cell, column = ''): string {
  if (c === null) return '';
  if (typeof c === 'number') {
    if (Number.isInteger(c)) return CODE_COLUMN.test(column) ? String(c) : c.toLocaleString('en-US');
    return c.toLocaleString('en-US', { maximumFractionDigits: 2 });
  }
  if (typeof c === 'string') {
    return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(c) ? c.replace('T', ' ').replace(/Z$/, '') : c;
  }
  if (Array.isArray(c)) return c.map((x) => displayCell(x)).join(',');
  return JSON.stringify(c);
}

/** An aligned table: numbers right-aligned, a rule under the header. */
export function formatTable(table: ResultTable, maxWidth = 60): string {
  const cells = table.rows.map((r) => r.map((c, i) => clip(displayCell(c, table.columns[i]), maxWidth)));
  const numeric = table.columns.map((_, i) =>
    table.rows.every((r) => r[i] === null || typeof r[i] === 'number'),
  );
  const widths = table.columns.map((name, i) => Math.max(name.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(table.columns), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function csvField(c: Cell): string {
  if (c === null) return '';
  const s =
    typeof c === 'string' ? c : Array.isArray(c) || typeof c === 'object' ? JSON.stringify(c) : String(c);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvLine(values: readonly Cell[]): string {
  return values.map(csvField).join(',');
}

export function rowObject(columns: readonly string[], row: readonly Cell[]): Record<string, Cell> {
  const o: Record<string, Cell> = {};
  for (let i = 0; i < columns.length; i++) o[columns[i]!] = row[i] ?? null;
  return o;
}
