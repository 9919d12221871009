import { RuleError, SEVERITIES, type Severity } from '../types.js';

/** A rule's tunable values after defaults and the config file are merged. */
export type SettingValue = number | string | boolean | readonly number[] | readonly string[];
export type Settings = Readonly<Record<string, SettingValue>>;

/** Keys every rule takes besides its own. */
export const COMMON_KEYS = ['enabled', 'severity', 'window', 'threshold'] as const;

/**
 * Merges the config file's overrides into a rule's defaults; each key must exist in the defaults
 * (or be a common key) and keep its type. Errors name the rule and the key.
 */
export function mergeSettings(rule: string, defaults: Settings, overrides: unknown): Settings {
  if (overrides === undefined || overrides === null) return defaults;
  if (typeof overrides !== 'object' || Array.isArray(overrides))
    throw new RuleError(rule, 'expected an object of settings');
  const out: Record<string, SettingValue> = { ...defaults };
  for (const [key, value] of Object.entries(overrides as Record<string, unknown>)) {
    if (key === 'severity') {
      if (!SEVERITIES.includes(value as Severity))
        throw new RuleError(
          rule,
          `severity: expected one of ${SEVERITIES.join(', ')} (got ${JSON.stringify(value)})`,
        );
      out[key] = value as Severity;
      continue;
    }
    if (!(key in defaults)) {
      const known = Object.keys(defaults).join(', ');
      throw new RuleError(rule, `unknown setting "${key}" (settings: ${known})`);
    }
    const d = defaults[key];
    out[key] = checkLike(rule, key, d!, value);
  }
  return out;
}

function checkLike(rule: string, key: string, like: SettingValue, value: unknown): SettingValue {
  const bad = (what: string): RuleError =>
    new RuleError(rule, `${key}: expected ${what} (got ${JSON.stringify(value)})`);
  if (typeof like === 'boolean') {
    if (typeof value !== 'boolean') throw bad('true or false');
    return value;
  }
  if (typeof like === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw bad('a number ≥ 0');
    if ((key === 'window' || key.endsWith('_seconds')) && value < 1) throw bad('at least 1 second');
    return value;
  }
  if (typeof like === 'string') {
    if (typeof value !== 'string' || value === '') throw bad('text');
    return value;
  }
  if (!Array.isArray(value)) throw bad('a list');
  const numbersList = like.length > 0 ? typeof like[0] === 'number' : key.endsWith('ports');
  if (numbersList) {
    if (!value.every((v) => Number.isInteger(v) && v >= 0 && v <= 65535)) throw bad('a list of port numbers');
    return value as number[];
  }
  if (!value.every((v) => typeof v === 'string' && v !== '')) throw bad('a list of text values');
  return value as string[];
}

export function num(s: Settings, key: string): number {
  const v = s[key];
  if (typeof v !== 'number') throw new Error(`setting ${key} is not a number`);
  return v;
}

export function numbers(s: Settings, key: string): readonly number[] {
  const v = s[key];
  return Array.isArray(v) ? (v as number[]) : [];
}

export function texts(s: Settings, key: string): readonly string[] {
  const v = s[key];
  return Array.isArray(v) ? (v as string[]) : [];
}

/** A lookup table of ports: table[port] is 1 for listed ports. */
export function portTable(ports: readonly number[]): Uint8Array {
  const t = new Uint8Array(65537);
  for (const p of ports) t[p] = 1;
  return t;
}
