import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../config/options.js';
import { BUILTIN_RULES, type BuildContext, MALFORMED_RULE } from './rules/builtin.js';
import { type CustomRuleConfig, compileCustomRule, customInfo, parseCustomRule } from './rules/custom.js';
import type { BaselineSource } from './rules/group-rule.js';
import type { StreamRule } from './rules/rule.js';
import { mergeSettings, type Settings } from './rules/settings.js';
import { RuleError, type RuleInfo, type Severity } from './types.js';

/** The alerts section of the config: tuning of built-in rules, user rules, engine bounds. */
export interface AlertsConfig {
  /** Seconds after an alert's last record during which repeats update it. */
  readonly cooldownSeconds: number;
  /** Seconds of record time a window stays open after its end for late records. */
  readonly latenessSeconds: number;
  /** Groups one window of one rule may hold. */
  readonly maxGroups: number;
  /** Overrides by built-in rule id. */
  readonly rules: Readonly<Record<string, unknown>>;
  readonly custom: readonly CustomRuleConfig[];
}

export const DEFAULT_ALERTS_CONFIG: AlertsConfig = {
  cooldownSeconds: 3600,
  latenessSeconds: 600,
  maxGroups: 100_000,
  rules: {},
  custom: [],
};

/** Reads an alerts config file (JSON or YAML); every problem names the file and the rule. */
export function readAlertsConfig(path: string): AlertsConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`--alerts-config ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`--alerts-config ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    return parseAlertsConfig(raw ?? {});
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`--alerts-config ${path}: ${err.message}`);
    throw err;
  }
}

function seconds(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new ConfigError(`${name}: expected whole seconds ≥ ${min} (got ${JSON.stringify(value)})`);
  return value;
}

export function parseAlertsConfig(raw: unknown): AlertsConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError('expected an object with rules, custom, cooldown, lateness, max_groups');
  const r = raw as Record<string, unknown>;
  const known = ['rules', 'custom', 'cooldown', 'lateness', 'max_groups'];
  for (const k of Object.keys(r))
    if (!known.includes(k)) throw new ConfigError(`unknown key "${k}" (keys: ${known.join(', ')})`);
  const rules = r.rules ?? {};
  if (typeof rules !== 'object' || rules === null || Array.isArray(rules))
    throw new ConfigError('rules: expected an object of rule id: settings');
  const ids = new Set([...BUILTIN_RULES.map((b) => b.id), MALFORMED_RULE.id]);
  for (const id of Object.keys(rules)) {
    if (!ids.has(id))
      throw new RuleError(id, `not a built-in rule (see flowlens alerts list); user rules go under "custom"`);
  }
  const customRaw = r.custom ?? [];
  if (!Array.isArray(customRaw)) throw new ConfigError('custom: expected a list of rules');
  const custom = customRaw.map((c, i) => parseCustomRule(c, i));
  const seen = new Set(ids);
  for (const c of custom) {
    if (seen.has(c.id)) throw new RuleError(c.id, 'the id is already taken by another rule');
    seen.add(c.id);
  }
  const maxGroups = r.max_groups ?? DEFAULT_ALERTS_CONFIG.maxGroups;
  if (typeof maxGroups !== 'number' || !Number.isInteger(maxGroups) || maxGroups < 1)
    throw new ConfigError('max_groups: expected a whole number ≥ 1');
  return {
    cooldownSeconds: seconds(r.cooldown, 'cooldown', DEFAULT_ALERTS_CONFIG.cooldownSeconds, 0),
    latenessSeconds: seconds(r.lateness, 'lateness', DEFAULT_ALERTS_CONFIG.latenessSeconds, 0),
    maxGroups,
    rules: rules as Record<string, unknown>,
    custom,
  };
}

/** A rule as listed: its identity, settings after the config, and whether it runs. */
export interface ListedRule {
  readonly info: RuleInfo;
  readonly enabled: boolean;
  readonly summary: string;
}

function builtinInfo(
  b: { id: string; title: string; severity: Severity; mitre: string; groupBy: readonly string[] },
  s: Settings,
): RuleInfo {
  const { enabled: _e, severity, window, ...rest } = s;
  return {
    id: b.id,
    title: b.title,
    severity: (severity as Severity | undefined) ?? b.severity,
    mitre: b.mitre,
    groupBy: b.groupBy,
    windowSeconds: typeof window === 'number' ? window : 0,
    settings: rest,
    scope: 'stream',
  };
}

function settingsOf(
  b: { id: string; enabled: boolean; defaults: Settings },
  config: AlertsConfig,
): { settings: Settings; enabled: boolean } {
  const settings = mergeSettings(b.id, { enabled: b.enabled, ...b.defaults }, config.rules[b.id]);
  return { settings, enabled: settings.enabled === true };
}

/** The effective settings of a built-in rule, or null when it is off. */
export function builtinSettings(id: string, config: AlertsConfig): Settings | null {
  const b = BUILTIN_RULES.find((r) => r.id === id);
  if (!b) return null;
  const { settings, enabled } = settingsOf(b, config);
  return enabled ? settings : null;
}

/** Every rule with its effective settings, built-in first (for `alerts list`). */
export function listRules(config: AlertsConfig): ListedRule[] {
  const out: ListedRule[] = [];
  for (const b of BUILTIN_RULES) {
    const { settings, enabled } = settingsOf(b, config);
    out.push({ info: builtinInfo(b, settings), enabled, summary: b.summary });
  }
  const m = settingsOf(MALFORMED_RULE, config);
  out.push({
    info: builtinInfo(MALFORMED_RULE, m.settings),
    enabled: m.enabled,
    summary: MALFORMED_RULE.summary,
  });
  for (const c of config.custom)
    out.push({ info: customInfo(c), enabled: true, summary: c.sql ? 'SQL over the store' : 'user rule' });
  return out;
}

/** The malformed-line rule's settings, or null when it is off. */
export interface MalformedSettings {
  readonly info: RuleInfo;
  readonly threshold: number;
  readonly minLines: number;
}

export interface RuleSet {
  readonly stream: StreamRule[];
  readonly malformed: MalformedSettings | null;
  /** User rules that run as SQL over the store (`alerts run`, serve). */
  readonly sql: readonly CustomRuleConfig[];
}

/** Builds every enabled rule; a bad setting throws a RuleError naming the rule. */
export function buildRules(
  config: AlertsConfig,
  now: () => number = () => Date.now() / 1000,
  baseline?: BaselineSource,
): RuleSet {
  const context: BuildContext = { maxGroups: config.maxGroups, now, ...(baseline ? { baseline } : {}) };
  const stream: StreamRule[] = [];
  for (const b of BUILTIN_RULES) {
    const { settings, enabled } = settingsOf(b, config);
    if (enabled) stream.push(b.build(settings, builtinInfo(b, settings), context));
  }
  for (const c of config.custom) if (!c.sql) stream.push(compileCustomRule(c, context));
  const m = settingsOf(MALFORMED_RULE, config);
  const malformed = m.enabled
    ? {
        info: builtinInfo(MALFORMED_RULE, m.settings),
        threshold: m.settings.threshold as number,
        minLines: m.settings.min_lines as number,
      }
    : null;
  return { stream, malformed, sql: config.custom.filter((c) => c.sql !== undefined) };
}
