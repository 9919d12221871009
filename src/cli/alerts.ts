import { backtest } from '../alerts/backtest.js';
import type { AlertEvent } from '../alerts/book.js';
import {
  type AlertsConfig,
  buildRules,
  DEFAULT_ALERTS_CONFIG,
  listRules,
  readAlertsConfig,
} from '../alerts/config.js';
import type { Alert } from '../alerts/types.js';
import { ConfigError, type OptionSpec, optionHelp, optionsOf, parseCommandLine } from '../config/options.js';
import { resolveWithConfig } from '../pipeline/options.js';
import { openStoreReader } from '../store/open.js';
import { exitQuietlyOnClosedStdout } from './stdout.js';

const OPTIONS = [
  {
    name: 'db',
    type: 'path',
    default: './flowlens.duckdb',
    description: 'run: the store to backtest over',
    placeholder: 'file',
  },
  {
    name: 'since',
    type: 'string',
    description: 'run: first record time (ISO 8601 or Unix seconds, by end)',
    placeholder: 'time',
  },
  {
    name: 'until',
    type: 'string',
    description: 'run: record time to stop before (ISO 8601 or Unix seconds)',
    placeholder: 'time',
  },
  {
    name: 'alerts-config',
    type: 'path',
    description: 'JSON or YAML file tuning built-in rules and adding user rules',
    placeholder: 'file',
  },
  { name: 'json', type: 'boolean', default: false, description: 'One JSON object per line' },
  {
    name: 'config',
    type: 'path',
    description: 'JSON config file whose keys are option names',
    placeholder: 'file',
  },
  { name: 'help', type: 'boolean', short: 'h', description: 'Show this help' },
] as const satisfies readonly OptionSpec[];

const HELP = `Usage: flowlens alerts list [--alerts-config FILE] [--json]
       flowlens alerts run --db PATH [--since T] [--until T] [--alerts-config FILE] [--json]

list  prints every rule (built-in and from --alerts-config) with its settings and whether it runs.
run   backtests every enabled rule over the records of a store and prints each alert that
      would have fired, with its final totals (the same JSON as the alerts sink with --json):
      the way to tune thresholds before turning a rule on.

Streaming detection runs with 'flowlens ingest … --to alerts' and in 'flowlens serve';
see docs/alerts.md.

Options:
${optionHelp(OPTIONS)}
`;

function parseTime(name: string, value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new ConfigError(
      `--${name}: expected an ISO 8601 time or Unix seconds (got ${JSON.stringify(value)})`,
    );
  return Math.floor(ms / 1000);
}

function alertLine(a: Alert): string {
  return `${a.first_seen}  ${a.severity.padEnd(8)} ${a.rule.padEnd(24)} ${a.key}  (count ${a.count}, bytes ${a.bytes}, ${a.details.measure} ${a.details.value})`;
}

export async function run(argv: string[]): Promise<number> {
  const cli = parseCommandLine(argv, OPTIONS);
  const [sub, ...extra] = cli.positionals;
  if (cli.flags.help || sub === undefined) {
    process.stdout.write(HELP);
    return sub === undefined && !cli.flags.help ? 2 : 0;
  }
  if (extra.length > 0) throw new ConfigError(`unexpected argument "${extra[0]}"`);
  const options = resolveWithConfig(OPTIONS, cli, process.env);
  exitQuietlyOnClosedStdout('alerts');
  const path = typeof options['alerts-config'] === 'string' ? options['alerts-config'] : undefined;
  const config: AlertsConfig = path ? readAlertsConfig(path) : DEFAULT_ALERTS_CONFIG;
  const json = options.json === true;
  if (sub === 'list') {
    // building validates every rule, as a run would
    buildRules(config);
    for (const r of listRules(config)) {
      const i = r.info;
      if (json) {
        process.stdout.write(`${JSON.stringify({ ...i, enabled: r.enabled, summary: r.summary })}\n`);
        continue;
      }
      const settings = Object.entries(i.settings)
        .map(
          ([k, v]) =>
            `${k}=${Array.isArray(v) ? v.join(',') || '-' : typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
        )
        .join(' ');
      process.stdout.write(
        `${i.id}${r.enabled ? '' : ' (off)'}\n  ${i.title} — ${r.summary}\n  severity ${i.severity}, MITRE ${i.mitre || '-'}, group by ${i.groupBy.join(', ')}, window ${i.windowSeconds || '-'} s, ${i.scope}\n  ${settings}\n`,
      );
    }
    return 0;
  }
  if (sub !== 'run') throw new ConfigError(`unknown subcommand "${sub}" (list, run)`);
  const since = parseTime('since', options.since);
  const until = parseTime('until', options.until);
  buildRules(config);
  const reader = await openStoreReader(optionsOf(OPTIONS, options).db);
  const closed: Alert[] = [];
  try {
    const result = await backtest(
      reader.con,
      config,
      { ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) },
      (events: readonly AlertEvent[]) => {
        for (const e of events) if (e.kind === 'closed') closed.push(e.alert);
      },
    );
    closed.sort((a, b) => a.first_seen.localeCompare(b.first_seen) || a.rule.localeCompare(b.rule));
    for (const a of closed) process.stdout.write(`${json ? JSON.stringify(a) : alertLine(a)}\n`);
    process.stderr.write(`${JSON.stringify({ records: result.records, alerts: result.alerts })}\n`);
  } finally {
    reader.close();
  }
  return 0;
}
