import type { Writable } from 'node:stream';
import { ConfigError, type OptionSpec, optionHelp, optionsOf, parseCommandLine } from '../config/options.js';
import { resolveWithConfig } from '../pipeline/options.js';
import { DB_OPTION } from '../sinks/store/options.js';
import { openLakeReader, openStoreReader, type Reader } from '../store/open.js';
import { type Cell, csvLine, formatTable, rowObject, toCell } from '../store/output.js';

export const QUERY_OPTIONS = [
  DB_OPTION,
  {
    name: 'lake',
    type: 'path',
    description: 'Query a Parquet lake directory instead of the store (view flows)',
    placeholder: 'dir',
  },
  { name: 'json', type: 'boolean', default: false, description: 'Print a JSON array of row objects' },
  { name: 'csv', type: 'boolean', default: false, description: 'Print CSV with a header row' },
  {
    name: 'max-rows',
    type: 'int',
    min: 1,
    default: 10000,
    description: 'Rows shown in table output (JSON and CSV print all)',
  },
  {
    name: 'config',
    type: 'path',
    description: 'JSON config file whose keys are option names',
    placeholder: 'file',
  },
  { name: 'help', type: 'boolean', short: 'h', description: 'Show this help' },
] as const satisfies readonly OptionSpec[];

const HELP = `Usage: flowlens query [--db PATH | --lake DIR] [--json|--csv] "<SQL>"

Runs SQL over the table flows (the store, opened read-only) or over a Parquet lake written
by --to lake (the view flows). Macros: ipv4_int(addr), ip_in_cidr(addr, '10.0.0.0/8'),
ipv6_full(addr), is_private_ip(addr). See docs/store.md for the columns.

Options:
${optionHelp(QUERY_OPTIONS)}
`;

export async function run(argv: string[]): Promise<number> {
  const cli = parseCommandLine(argv, QUERY_OPTIONS);
  if (cli.flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const options = resolveWithConfig(QUERY_OPTIONS, cli, process.env);
  const o = optionsOf(QUERY_OPTIONS, options);
  if (cli.positionals.length !== 1) {
    throw new ConfigError(
      cli.positionals.length === 0
        ? 'no SQL given (e.g. flowlens query "SELECT count(*) FROM flows")'
        : 'give the SQL as one argument, in quotes',
    );
  }
  if (options.json === true && options.csv === true)
    throw new ConfigError('--json and --csv exclude each other');
  const reader = await openReader(o.lake, o.db);
  try {
    const mode = options.json === true ? 'json' : options.csv === true ? 'csv' : 'table';
    await runQuery(reader, cli.positionals[0]!, mode, process.stdout, o['max-rows']);
  } finally {
    reader.close();
  }
  return 0;
}

export function openReader(lake: string | undefined, db: string): Promise<Reader> {
  return lake ? openLakeReader(lake) : openStoreReader(db);
}

export class QueryError extends Error {
  override name = 'QueryError';
}

/** Runs one query and streams its rows to `out` as a table, JSON or CSV. */
export async function runQuery(
  reader: Reader,
  sql: string,
  mode: 'table' | 'json' | 'csv',
  out: Writable,
  maxRows = 10000,
): Promise<void> {
  let result: Awaited<ReturnType<Reader['con']['stream']>>;
  try {
    result = await reader.con.stream(sql);
  } catch (err) {
    throw new QueryError(sqlErrorText(err));
  }
  const columns = result.deduplicatedColumnNames();
  const rows: Cell[][] = [];
  let total = 0;
  let first = true;
  if (mode === 'json') out.write('[');
  if (mode === 'csv') out.write(csvLine(columns) + '\n');
  try {
    for await (const batch of result.yieldRowsJs()) {
      let text = '';
      for (const raw of batch) {
        const row = raw.map(toCell);
        total++;
        if (mode === 'table') {
          if (rows.length < maxRows) rows.push(row);
        } else if (mode === 'json') {
          text += (first ? '\n' : ',\n') + JSON.stringify(rowObject(columns, row));
          first = false;
        } else {
          text += csvLine(row) + '\n';
        }
      }
      if (text) await write(out, text);
    }
  } catch (err) {
    throw new QueryError(sqlErrorText(err));
  }
  if (mode === 'json') out.write(first ? ']\n' : '\n]\n');
  if (mode === 'table') {
    await write(out, formatTable({ columns, rows }) + '\n');
    const more =
      total > rows.length ? ` (${(total - rows.length).toLocaleString('en-US')} more not shown)` : '';
    await write(out, `(${total.toLocaleString('en-US')} row${total === 1 ? '' : 's'})${more}\n`);
  }
}

function write(out: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

/** DuckDB's message, first line (the kind of error and what), without the caret lines. */
export function sqlErrorText(err: unknown): string {
  const msg = (err instanceof Error ? err.message : String(err)).replace(
    /^Failed to extract statements: /,
    '',
  );
  const lines = msg.split('\n').filter((l) => l.trim() !== '');
  const where = lines.find((l) => l.startsWith('LINE '));
  return `SQL error: ${lines[0] ?? msg}${where ? ` (${where.trim()})` : ''}`;
}
