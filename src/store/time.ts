/** Times and durations as report options take them. */

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `90s`, `5m`, `1h`, `7d`, `2w` → seconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * UNITS[m[2]!]!;
  return n > 0 ? n : undefined;
}

/**
 * A point in time as Unix seconds: an ISO date or date-time (UTC unless it has an offset),
 * Unix seconds, or a duration meaning that long before `now` (`24h` = a day ago).
 */
export function parseTime(text: string, now = Date.now()): number | undefined {
  const t = text.trim();
  if (/^\d{9,11}$/.test(t)) return Number(t);
  const ago = parseDuration(t);
  if (ago !== undefined) return Math.floor(now / 1000) - ago;
  if (!/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/.test(t)) return undefined;
  const iso = t.replace(' ', 'T');
  const withZone = /T/.test(iso) && !/(Z|[+-]\d\d:?\d\d)$/.test(iso) ? `${iso}Z` : iso;
  const ms = Date.parse(withZone.length === 10 ? `${withZone}T00:00:00Z` : withZone);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

const STEPS = [60, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400, 604800];

/** The smallest usual bucket giving at most `maxBuckets` buckets over `span` seconds. */
export function autoInterval(span: number, maxBuckets = 48): number {
  for (const s of STEPS) if (span / s <= maxBuckets) return s;
  return Math.ceil(span / maxBuckets / 86400) * 86400;
}

export function formatDuration(seconds: number): string {
  for (const [unit, n] of [
    ['w', 604800],
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds % n === 0) return `${seconds / n}${unit}`;
  }
  return `${seconds}s`;
}
