import { isIPv4, isIPv6 } from 'node:net';
import { type FieldDef, MAX_TIME_SECONDS, MILLISECONDS_FROM } from './catalog.js';

/** Largest millisecond time accepted: the last millisecond of year 9999. */
export const MAX_TIME_MILLISECONDS = MAX_TIME_SECONDS * 1000 + 999;

/**
 * The check a string field's new values go through (decoders intern values, so each distinct
 * value is checked once), or null for a field that takes any text.
 */
export function textCheck(def: FieldDef): ((value: string) => boolean) | null {
  const d = def.domain;
  if (d.kind === 'address') return isAddress;
  if (d.kind === 'word') {
    const words = new Set(d.values);
    return (value) => words.has(value);
  }
  return null;
}

function isAddress(value: string): boolean {
  return isIPv4(value) || (isIPv6(value) && !value.includes('%'));
}

/**
 * A number field's value as the column holds it, or NaN when it is outside the field's domain
 * (`v` is a whole number >= 0 read from digits; a time in milliseconds becomes whole seconds).
 */
export function numberInDomain(def: FieldDef, v: number): number {
  const d = def.domain;
  if (d.kind === 'time') return timeSeconds(v);
  if (d.kind === 'number') return v <= d.max ? v : Number.NaN;
  return v;
}

/** Unix seconds from a `start`/`end` value in seconds or milliseconds, NaN past year 9999. */
export function timeSeconds(v: number): number {
  if (v < MILLISECONDS_FROM) return v;
  return v <= MAX_TIME_MILLISECONDS ? Math.floor(v / 1000) : Number.NaN;
}

/** Why `value` is outside the field's domain, for malformed-line messages. */
export function domainProblem(def: FieldDef, value: string): string {
  const d = def.domain;
  const shown = `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  switch (d.kind) {
    case 'number':
      return `field ${def.name}: ${shown} is out of range (0 to ${d.max})`;
    case 'time':
      return `field ${def.name}: ${shown} is not a time (Unix seconds, or milliseconds, up to year 9999)`;
    case 'address':
      return `field ${def.name}: ${shown} is not an IP address`;
    case 'word':
      return `field ${def.name}: ${shown} is not one of ${d.values.join(', ')}`;
    default:
      return `field ${def.name}: ${shown} is not accepted`;
  }
}
