import { ConfigError, type OptionSpec, optionsOf, type ResolvedOptions } from '../config/options.js';
import { GENERATE_VERSIONS, type GenerateOptions, type GenerateVersion } from './types.js';

const env = (name: string): readonly string[] => [`FLOWLENS_GENERATE_${name}`];

/** Options of `flowlens generate`; environment variables are FLOWLENS_GENERATE_<NAME>. */
export const GENERATE_OPTIONS = [
  {
    name: 'records',
    short: 'n',
    type: 'int',
    min: 0,
    default: 10_000,
    env: env('RECORDS'),
    description: 'Record lines to write (malformed ones included)',
  },
  {
    name: 'version',
    type: 'enum',
    choices: GENERATE_VERSIONS,
    env: env('VERSION'),
    description: 'Fields of this version and the earlier ones; tgw = Transit Gateway fields (default 2)',
  },
  {
    name: 'format',
    type: 'string',
    env: env('FORMAT'),
    placeholder: 'fields',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a LogFormat string, not a template
    description: 'Any field list instead of --version: "${version} ${srcaddr} …" or plain names',
  },
  { name: 'seed', type: 'int', default: 1, env: env('SEED'), description: 'Same seed, same bytes' },
  {
    name: 'out',
    short: 'o',
    type: 'path',
    env: env('OUT'),
    placeholder: 'file',
    description: 'Output file (default stdout); a name ending in .gz is gzip-compressed',
  },
  {
    name: 'header',
    type: 'boolean',
    env: env('HEADER'),
    description:
      'Write the header line AWS puts first in S3 text objects (default: on for --out, off on stdout)',
  },
  { name: 'no-header', type: 'boolean', env: env('NO_HEADER'), description: 'Leave the header line out' },
  {
    name: 'malformed-rate',
    type: 'number',
    min: 0,
    max: 1,
    default: 0,
    env: env('MALFORMED_RATE'),
    placeholder: 'fraction',
    description:
      'Fraction of record lines made malformed (wrong field count, non-numeric number, junk bytes)',
  },
  {
    name: 'cloudwatch',
    type: 'boolean',
    env: env('CLOUDWATCH'),
    description: 'CloudWatch Logs subscription payloads (one DATA_MESSAGE JSON per line) instead of S3 text',
  },
  {
    name: 'cloudwatch-control',
    type: 'boolean',
    env: env('CLOUDWATCH_CONTROL'),
    description: 'With --cloudwatch: a CONTROL_MESSAGE payload first',
  },
  {
    name: 'events-per-payload',
    type: 'int',
    min: 1,
    max: 10_000,
    default: 100,
    env: env('EVENTS_PER_PAYLOAD'),
    description: 'With --cloudwatch: log events per payload at most',
  },
  {
    name: 'parquet',
    type: 'boolean',
    env: env('PARQUET'),
    description: "AWS's Parquet layout (snake_case columns, INT32/INT64/string, GZIP pages); needs --out",
  },
  {
    name: 'row-group-size',
    type: 'int',
    min: 1,
    max: 1_000_000,
    default: 65_536,
    env: env('ROW_GROUP_SIZE'),
    description: 'With --parquet: rows per row group',
  },
  {
    name: 'gzip',
    type: 'boolean',
    env: env('GZIP'),
    description: 'gzip the output whatever its name (stdout included)',
  },
  {
    name: 'start-time',
    type: 'string',
    env: env('START_TIME'),
    placeholder: 'time',
    description: 'First aggregation window: Unix seconds or an ISO 8601 time (default 2026-06-01T00:00:00Z)',
  },
  {
    name: 'interval',
    type: 'enum',
    choices: ['60', '600'],
    default: '600',
    env: env('INTERVAL'),
    description: 'Aggregation interval in seconds',
  },
  {
    name: 'clean',
    type: 'boolean',
    env: env('CLEAN'),
    description:
      'Background without what the alert rules look for: no internet scanners, no SKIPDATA, DNS via the VPC resolver, SSH from private addresses',
  },
  {
    name: 'attacks',
    type: 'boolean',
    env: env('ATTACKS'),
    description:
      'Inject labelled attacks (scans, exposed SSH/database, mining, rogue DNS, exfiltration, reject storm, new country…) into clean background; the truth lists rule, key and window of each',
  },
  {
    name: 'config',
    type: 'path',
    placeholder: 'file',
    description: 'JSON config file whose keys are option names',
  },
  {
    name: 'quiet',
    short: 'q',
    type: 'boolean',
    default: false,
    description: 'No ground-truth line on stderr',
  },
  { name: 'help', short: 'h', type: 'boolean', description: 'Show this help' },
] as const satisfies readonly OptionSpec[];

function parseStartTime(value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new ConfigError(
      `--start-time: expected Unix seconds or an ISO 8601 time (got ${JSON.stringify(value)})`,
    );
  }
  return Math.floor(ms / 1000);
}

/** Resolved CLI options → generator options, rejecting contradictory combinations. */
export function toGenerateOptions(options: ResolvedOptions): GenerateOptions {
  const o = optionsOf(GENERATE_OPTIONS, options);
  const out = typeof o.out === 'string' ? o.out : undefined;
  if (o.cloudwatch === true && o.parquet === true)
    throw new ConfigError('--cloudwatch and --parquet exclude each other');
  if (o.format !== undefined && o.version !== undefined) {
    throw new ConfigError('--format and --version exclude each other: a format lists its own fields');
  }
  if (o.header === true && o['no-header'] === true)
    throw new ConfigError('--header and --no-header exclude each other');
  const output = o.parquet === true ? 'parquet' : o.cloudwatch === true ? 'cloudwatch' : 'text';
  if (output === 'parquet' && out === undefined)
    throw new ConfigError('--parquet needs --out FILE (Parquet is binary)');
  const header = o['no-header'] === true ? false : o.header === true ? true : out !== undefined;
  const gzip = o.gzip === true || (out?.endsWith('.gz') ?? false);
  if (output === 'parquet' && gzip)
    throw new ConfigError('--parquet compresses its own pages: drop --gzip / .gz');
  return {
    records: o.records,
    ...(o.version !== undefined ? { version: o.version as GenerateVersion } : {}),
    ...(o.format !== undefined ? { format: o.format } : {}),
    seed: o.seed,
    header,
    malformedRate: o['malformed-rate'],
    output,
    gzip,
    cloudwatchControl: o['cloudwatch-control'] === true,
    eventsPerPayload: o['events-per-payload'],
    rowGroupSize: o['row-group-size'],
    interval: Number(o.interval) as 60 | 600,
    clean: o.clean === true,
    attacks: o.attacks === true,
    ...(typeof o['start-time'] === 'string' ? { startTime: parseStartTime(o['start-time']) } : {}),
  };
}
