import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { type Column, FlowBatch, StrColumnBuilder } from '../batch/flow-batch.js';
import { type FieldDef, findField } from '../fields/catalog.js';
import { StoreBaselines } from './baseline.js';
import type { AlertEvent } from './book.js';
import { type AlertsConfig, buildRules } from './config.js';
import { AlertEngine } from './engine.js';
import type { CustomRuleConfig } from './rules/custom.js';
import { customInfo } from './rules/custom.js';

/** The columns the rules read, as the store names them; those the store lacks are left out. */
const WANTED = [
  'interface_id',
  'srcaddr',
  'dstaddr',
  'pkt_srcaddr',
  'pkt_dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log_status',
  'tcp_flags',
  'flow_direction',
  'dst_country',
  'dst_asn',
  'record_uid',
];

const BATCH_ROWS = 8192;
const DAY = 86400;

export interface BacktestRange {
  /** Unix seconds, inclusive; records by `end`. */
  readonly since?: number;
  /** Unix seconds, exclusive. */
  readonly until?: number;
}

export interface BacktestResult {
  readonly records: number;
  readonly alerts: number;
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function num(v: unknown): number {
  if (v === null || v === undefined) return Number.NaN;
  return typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string' ? Number(v) : Number.NaN;
}

/** Store column types read back as numbers (record fields and enrichments such as `dst_asn`). */
const NUMERIC_TYPE =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/;

/** Rows (column-major) read from the store as a FlowBatch: record fields, then enrichment columns. */
function toBatch(
  names: readonly string[],
  numeric: ReadonlySet<string>,
  columns: DuckDBValue[][],
  rows: number,
): FlowBatch {
  const fields: FieldDef[] = [];
  const cols: Column[] = [];
  const extra = new Map<string, Column>();
  names.forEach((name, c) => {
    const values = columns[c]!;
    const field = findField(name);
    const isNumber = field !== undefined ? field.type !== 'string' : numeric.has(name);
    let col: Column;
    if (isNumber) {
      const out = new Float64Array(rows);
      for (let i = 0; i < rows; i++) out[i] = num(values[i]!);
      col = { kind: 'num', values: out };
    } else {
      const b = new StrColumnBuilder(rows);
      for (let i = 0; i < rows; i++) {
        const v = values[i];
        b.set(i, v === null || v === undefined ? null : String(v));
      }
      col = b.build(rows);
    }
    if (field) {
      fields.push(field);
      cols.push(col);
    } else extra.set(name, col);
  });
  // no position in a source: alerts sample the stored record_uid instead (see BatchView.uid)
  const positions = new Float64Array(rows).fill(Number.NaN);
  const batch = new FlowBatch(fields, cols, rows, { id: 'store' }, positions);
  for (const [name, col] of extra) batch.extra.set(name, col);
  return batch;
}

/**
 * Runs every rule over the records stored in `flows` (by `end`, oldest first) exactly as the
 * streaming engine runs them over a pipeline, with baselines from the store for the rules that
 * take one, then SQL rules window by window; `onEvents`
 * receives what happened. Memory: one batch of rows plus the engine's bounded state.
 */
export async function backtest(
  con: DuckDBConnection,
  config: AlertsConfig,
  range: BacktestRange,
  onEvents: (events: readonly AlertEvent[]) => void,
): Promise<BacktestResult> {
  const described = (await con.runAndReadAll('DESCRIBE flows')).getRowsJS();
  const have = new Set(described.map((r) => String(r[0])));
  const numeric = new Set(described.filter((r) => NUMERIC_TYPE.test(String(r[1]))).map((r) => String(r[0])));
  const names = WANTED.filter((n) => have.has(n));
  const where: string[] = [];
  if (range.since !== undefined) where.push(`"end" >= ${Math.floor(range.since)}`);
  if (range.until !== undefined) where.push(`"end" < ${Math.floor(range.until)}`);
  const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
  // Rules with a baseline compare each window with the same window of previous days.
  const baselines = new StoreBaselines(
    async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJS(),
    config,
  );
  const rules = buildRules(config, undefined, baselines);
  const engine = new AlertEngine(rules, config);
  let records = 0;
  let fired = 0;
  const emit = (events: readonly AlertEvent[]): void => {
    for (const e of events) if (e.kind === 'fired') fired++;
    if (events.length > 0) onEvents(events);
  };
  if (rules.stream.length > 0) {
    const select = `SELECT ${names.map(quote).join(', ')} FROM flows`;
    const stream = async (sql: string): Promise<void> => {
      const result = await con.stream(sql);
      let pending: DuckDBValue[][] = names.map(() => []);
      let rows = 0;
      const flush = (): void => {
        if (rows === 0) return;
        emit(engine.observe(toBatch(names, numeric, pending, rows)));
        records += rows;
        pending = names.map(() => []);
        rows = 0;
      };
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const cols = chunk.getColumns();
        for (let c = 0; c < names.length; c++) pending[c]!.push(...cols[c]!);
        rows += chunk.rowCount;
        if (rows >= BATCH_ROWS) flush();
      }
      flush();
    };
    // A day at a time, its baselines loaded first: a query on the connection while a result
    // streams would end that result.
    const days = (
      await con.runAndReadAll(
        `SELECT DISTINCT CAST(floor("end" / ${DAY}) AS BIGINT) AS d FROM flows ${filter} ORDER BY d`,
      )
    )
      .getRowsJS()
      .filter((r) => r[0] !== null)
      .map((r) => Number(r[0]));
    const and = filter ? `${filter} AND` : 'WHERE';
    for (const day of days) {
      await baselines.prepare(day * DAY, day * DAY);
      await stream(`${select} ${and} "end" >= ${day * DAY} AND "end" < ${(day + 1) * DAY} ORDER BY "end"`);
    }
    if (!filter) await stream(`${select} WHERE "end" IS NULL`);
  }
  for (const rule of rules.sql) emit(await runSqlRule(con, rule, range, engine));
  emit(engine.flush());
  return { records, alerts: fired };
}

/**
 * A SQL rule over the store: its query runs once per window with `{start}` and `{end}` (Unix
 * seconds) substituted and must return `key` and `count` columns (optionally `bytes`,
 * `packets`); a row whose count reaches the threshold is a hit.
 */
async function runSqlRule(
  con: DuckDBConnection,
  rule: CustomRuleConfig,
  range: BacktestRange,
  engine: AlertEngine,
): Promise<AlertEvent[]> {
  const info = customInfo(rule);
  const span = (await con.runAndReadAll('SELECT min("end"), max("end") FROM flows')).getRowsJS()[0]!;
  if (span[0] === null) return [];
  const w = rule.window;
  const from = Math.floor((range.since ?? num(span[0]!)) / w) * w;
  const to = range.until ?? num(span[1]!) + 1;
  const events: AlertEvent[] = [];
  for (let start = from; start < to; start += w) {
    const sql = rule.sql!.replaceAll('{start}', String(start)).replaceAll('{end}', String(start + w));
    let reader: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;
    try {
      reader = await con.runAndReadAll(sql);
    } catch (err) {
      throw new Error(`alert rule "${rule.id}": ${(err as Error).message.split('\n')[0]}`);
    }
    const cols = reader.columnNames();
    const at = (name: string): number => cols.indexOf(name);
    if (at('key') < 0 || at('count') < 0)
      throw new Error(`alert rule "${rule.id}": the query must return key and count`);
    for (const row of reader.getRowsJS()) {
      const count = num(row[at('count')]!);
      if (!(count >= rule.threshold)) continue;
      events.push(
        ...engine.hit({
          rule: info,
          key: String(row[at('key')]),
          group: { key: String(row[at('key')]) },
          first: start,
          last: start + w - 1,
          count,
          bytes: at('bytes') >= 0 ? num(row[at('bytes')]!) || 0 : 0,
          packets: at('packets') >= 0 ? num(row[at('packets')]!) || 0 : 0,
          sampleUids: [],
          measure: 'count',
          value: count,
          threshold: rule.threshold,
        }),
      );
    }
  }
  return events;
}
