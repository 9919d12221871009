import {
  ConfigError,
  type OptionSpec,
  optionHelp,
  optionsOf,
  parseCommandLine,
  type ResolvedOptions,
} from '../config/options.js';
import { resolveWithConfig } from '../pipeline/options.js';
import { DB_OPTION } from '../sinks/store/options.js';
import { type ReportOptions, type ReportResult, runReport } from '../store/report-run.js';
import { reportText } from '../store/report-text.js';
import { findReport, REPORTS } from '../store/reports.js';
import { parseDuration, parseTime } from '../store/time.js';
import { openReader } from './query.js';

export const REPORT_OPTIONS = [
  DB_OPTION,
  {
    name: 'lake',
    type: 'path',
    description: 'Report over a Parquet lake directory instead of the store',
    placeholder: 'dir',
  },
  {
    name: 'since',
    type: 'string',
    description: 'Only records whose end is at or after: ISO date/time (UTC), Unix seconds, or 24h/7d ago',
    placeholder: 'time',
  },
  {
    name: 'until',
    type: 'string',
    description: 'Only records whose end is before (same forms as --since)',
    placeholder: 'time',
  },
  { name: 'limit', type: 'int', min: 1, max: 100000, default: 10, description: 'Rows per table' },
  {
    name: 'interval',
    type: 'string',
    description: 'Time bucket of timeline/rejected: 5m, 1h, 1d (default: automatic, at most 48 buckets)',
    placeholder: 'duration',
  },
  {
    name: 'by',
    type: 'enum',
    choices: ['bytes', 'packets'],
    default: 'bytes',
    description: 'top-talkers: rank by bytes or packets',
  },
  { name: 'json', type: 'boolean', default: false, description: 'Print the report as JSON' },
  {
    name: 'config',
    type: 'path',
    description: 'JSON config file whose keys are option names',
    placeholder: 'file',
  },
  { name: 'help', type: 'boolean', short: 'h', description: 'Show this help' },
] as const satisfies readonly OptionSpec[];

function listText(): string {
  const width = Math.max(...REPORTS.map((r) => r.name.length)) + 2;
  return REPORTS.map((r) => `  ${r.name.padEnd(width)}${r.summary}`).join('\n');
}

const HELP = `Usage: flowlens report <name> [--db PATH] [--since T] [--until T] [--limit N] [--json]

Reports (their SQL is in docs/reports.md):
${listText()}

Options:
${optionHelp(REPORT_OPTIONS)}
`;

/** Report options from resolved command-line options, validated with the setting's name. */
export function reportOptions(options: ResolvedOptions): ReportOptions {
  const time = (name: 'since' | 'until'): number | undefined => {
    const raw = options[name];
    if (typeof raw !== 'string') return undefined;
    const t = parseTime(raw);
    if (t === undefined) {
      throw new ConfigError(
        `--${name}: expected an ISO date/time, Unix seconds or a duration like 24h (got ${JSON.stringify(raw)})`,
      );
    }
    return t;
  };
  let interval: number | undefined;
  if (typeof options.interval === 'string' && options.interval !== 'auto') {
    interval = parseDuration(options.interval);
    if (interval === undefined) {
      throw new ConfigError(
        `--interval: expected a duration like 5m, 1h or 1d (got ${JSON.stringify(options.interval)})`,
      );
    }
  }
  const since = time('since');
  const until = time('until');
  if (since !== undefined && until !== undefined && since >= until) {
    throw new ConfigError('--since must be before --until');
  }
  return {
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(interval !== undefined ? { interval } : {}),
    limit: optionsOf(REPORT_OPTIONS, options).limit,
    by: options.by === 'packets' ? 'packets' : 'bytes',
  };
}

export async function run(argv: string[]): Promise<number> {
  const cli = parseCommandLine(argv, REPORT_OPTIONS);
  if (cli.flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const [name, ...extra] = cli.positionals;
  if (!name) {
    process.stdout.write(`Reports:\n${listText()}\n\nRun 'flowlens report <name>' (options: --help).\n`);
    return 0;
  }
  if (extra.length > 0) throw new ConfigError(`one report at a time (got ${cli.positionals.join(', ')})`);
  const def = findReport(name);
  if (!def)
    throw new ConfigError(`unknown report "${name}" (available: ${REPORTS.map((r) => r.name).join(', ')})`);
  const options = resolveWithConfig(REPORT_OPTIONS, cli, process.env);
  const ropts = reportOptions(options);
  const ro = optionsOf(REPORT_OPTIONS, options);
  const reader = await openReader(ro.lake, ro.db);
  try {
    const result = await runReport(reader.con, def, ropts);
    process.stdout.write(
      options.json === true ? `${JSON.stringify(result, null, 2)}\n` : renderForTerminal(result),
    );
  } finally {
    reader.close();
  }
  return 0;
}

export function renderForTerminal(result: ReportResult): string {
  if (result.records === 0)
    return `${result.report}: the store holds no records yet (run 'flowlens ingest <input>')\n`;
  return `${result.report}\n\n${reportText(result)}`;
}
