import { ConfigError } from '../config/options.js';

/** A half-open UTC time range [from, to) in ms; either end may be open. */
export interface TimeRange {
  readonly from?: number | undefined;
  readonly to?: number | undefined;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Parses `--since`/`--until`: an ISO date (`2024-05-01`) or date-time (`2024-05-01T13:00`,
 * with or without `Z`/offset; without one it is UTC, like the key partitions).
 */
export function parseTimeBound(value: string, setting: string): number {
  const v = value.trim();
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2}(?:\.\d+)?))?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
      v,
    );
  if (!m)
    throw new ConfigError(
      `${setting}: expected an ISO date or date-time such as 2024-05-01T13:00Z (got "${value}")`,
    );
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}${m[7] ?? 'Z'}`;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new ConfigError(`${setting}: not a valid date/time (got "${value}")`);
  return t;
}

export function timeRange(since: unknown, until: unknown): TimeRange {
  const from = typeof since === 'string' ? parseTimeBound(since, '--since') : undefined;
  const to = typeof until === 'string' ? parseTimeBound(until, '--until') : undefined;
  if (from !== undefined && to !== undefined && to <= from) {
    throw new ConfigError(`--until (${until}) must be later than --since (${since})`);
  }
  return { from, to };
}

const PLAIN = /(?:^|\/)vpcflowlogs\/[^/]+\/(\d{4})\/(\d{2})\/(\d{2})\/(?:(\d{2})\/)?/;
const HIVE = /(?:^|\/)year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/(?:hour=(\d{2})\/)?/;
/** `<acct>_vpcflowlogs_<region>_<id>_20180620T1620Z_<hash>`: a 5-minute window. */
const FILE_TIME = /_vpcflowlogs_[^_/]+_[^_/]+_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*$/;

/** The time span a key's partitions (or file name) cover, or undefined when it has none. */
export function keyTimeSpan(key: string): { from: number; to: number } | undefined {
  const m = PLAIN.exec(key) ?? HIVE.exec(key);
  if (m) {
    const from = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, m[4] ? +m[4] : 0);
    return { from, to: from + (m[4] ? HOUR : DAY) };
  }
  const f = FILE_TIME.exec(key);
  if (f) {
    const from = Date.UTC(+f[1]!, +f[2]! - 1, +f[3]!, +f[4]!, +f[5]!);
    return { from, to: from + 5 * 60_000 };
  }
  return undefined;
}

/** Keeps a key whose span overlaps the range; keys without a date are kept. */
export function keyInRange(key: string, range: TimeRange): boolean {
  if (range.from === undefined && range.to === undefined) return true;
  const span = keyTimeSpan(key);
  if (!span) return true;
  if (range.from !== undefined && span.to <= range.from) return false;
  if (range.to !== undefined && span.from >= range.to) return false;
  return true;
}

/**
 * When the prefix stops right at the region level of a flow-log layout and the range has a
 * start, the per-day prefixes to list instead of the whole tree (oldest first); else undefined.
 */
export function dayPrefixes(prefix: string, range: TimeRange, now = Date.now()): string[] | undefined {
  if (range.from === undefined) return undefined;
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  let day: (d: Date) => string;
  if (/(?:^|\/)vpcflowlogs\/[^/=]+\/$/.test(base)) {
    day = (d) => `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/`;
  } else if (/(?:^|\/)aws-region=[^/]+\/$/.test(base)) {
    day = (d) => `year=${d.getUTCFullYear()}/month=${pad(d.getUTCMonth() + 1)}/day=${pad(d.getUTCDate())}/`;
  } else {
    return undefined;
  }
  const first = Math.floor(range.from / DAY) * DAY;
  const last = range.to !== undefined ? range.to - 1 : now;
  const out: string[] = [];
  for (let t = first; t <= last; t += DAY) out.push(base + day(new Date(t)));
  return out;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
