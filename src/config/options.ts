import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/**
 * One option of a command or component, resolvable from a flag, an environment variable,
 * a config file, or its default, and validated at start — never midway.
 */
export type OptionType = 'string' | 'int' | 'number' | 'boolean' | 'url' | 'enum' | 'path';

export interface OptionSpec {
  /** Flag name without dashes, kebab-case: `otlp-endpoint`. Also the config-file key. */
  readonly name: string;
  readonly type: OptionType;
  readonly description: string;
  readonly short?: string;
  /** Repeatable flag (`--to a --to b`); env and config give a comma-separated list / an array. */
  readonly multiple?: boolean;
  readonly choices?: readonly string[];
  readonly default?: string | number | boolean | readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Environment variables read for this option, first found wins. Default: FLOWLENS_<NAME>. */
  readonly env?: readonly string[];
  /** Shown as `--name <placeholder>` in help. */
  readonly placeholder?: string;
}

export type OptionValue = string | number | boolean | string[] | undefined;
export type ResolvedOptions = Record<string, OptionValue>;

/** What an option of spec S resolves to: a list (repeatable), a number, a boolean, one of its choices, or text. */
export type OptionValueOf<S extends OptionSpec> = string extends S['name']
  ? OptionValue
  : S extends { readonly multiple: true }
    ? string[]
    : S['type'] extends 'int' | 'number'
      ? number
      : S['type'] extends 'boolean'
        ? boolean
        : S extends { readonly choices: readonly (infer C extends string)[] }
          ? C
          : string;

/**
 * Resolved options typed by the specs they come from (declared `as const satisfies
 * readonly OptionSpec[]`): `optionsOf(OTLP_OPTIONS, options)['otlp-timeout']` is a number,
 * `…['otlp-endpoint']` is `string | undefined` (no default), with no cast at the reader.
 */
export type OptionsOf<L extends readonly OptionSpec[]> = {
  readonly [S in L[number] as S['name']]: S extends {
    readonly default: string | number | boolean | readonly string[];
  }
    ? OptionValueOf<S>
    : OptionValueOf<S> | undefined;
};

/**
 * `options` seen through `specs`: every value the specs name is checked to have its spec's
 * type (resolveOptions made it so; options assembled by hand are caught here; one text value
 * of a repeatable option becomes a list of one), an option left unset gets its spec's default, and the result is typed by the specs.
 */
export function optionsOf<const L extends readonly OptionSpec[]>(
  specs: L,
  options: ResolvedOptions,
): OptionsOf<L> {
  const out: ResolvedOptions = { ...options };
  for (const spec of specs) {
    const value = out[spec.name];
    if (value === undefined) {
      if (spec.default !== undefined) out[spec.name] = normalizeDefault(spec.default);
      continue;
    }
    if (spec.multiple && typeof value === 'string') {
      // one value of a repeatable option, as options written by hand give it: a list of one
      out[spec.name] = [value];
      continue;
    }
    const kind = spec.multiple
      ? 'list'
      : spec.type === 'int' || spec.type === 'number'
        ? 'number'
        : spec.type === 'boolean'
          ? 'boolean'
          : 'string';
    const ok = kind === 'list' ? Array.isArray(value) : typeof value === kind;
    if (!ok) throw new TypeError(`option ${spec.name}: expected a ${kind}, got ${JSON.stringify(value)}`);
  }
  return out as OptionsOf<L>;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const envName = (name: string): string => `FLOWLENS_${name.toUpperCase().replaceAll('-', '_')}`;

export interface CommandLine {
  readonly flags: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

/** Parses argv against the specs; unknown flags and missing values fail with the flag's name. */
export function parseCommandLine(argv: readonly string[], specs: readonly OptionSpec[]): CommandLine {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const s of specs) {
    options[s.name] = {
      type: s.type === 'boolean' ? 'boolean' : 'string',
      ...(s.multiple ? { multiple: true } : {}),
      ...(s.short ? { short: s.short } : {}),
    };
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
    });
    return { flags: values as CommandLine['flags'], positionals };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new ConfigError(msg.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

/** Reads a JSON config file whose keys are option names (kebab-case). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`config file ${path}: expected a JSON object of option names to values`);
    }
    return parsed as Record<string, unknown>;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`config file ${path}: ${(err as Error).message}`);
  }
}

export interface ResolveSources {
  readonly flags?: CommandLine['flags'];
  readonly env?: NodeJS.ProcessEnv;
  readonly file?: Record<string, unknown>;
}

/**
 * Resolves every spec: flag, then environment, then config file, then default.
 * Throws one ConfigError naming the setting and where its bad value came from.
 */
export function resolveOptions(specs: readonly OptionSpec[], sources: ResolveSources): ResolvedOptions {
  const out: ResolvedOptions = {};
  const env = sources.env ?? {};
  for (const spec of specs) {
    let raw: unknown;
    let where = '';
    const flag = sources.flags?.[spec.name];
    if (flag !== undefined) {
      raw = flag;
      where = `--${spec.name}`;
    } else {
      for (const name of spec.env ?? [envName(spec.name)]) {
        const v = env[name];
        if (v !== undefined && v !== '') {
          raw = spec.multiple ? v.split(',').map((s) => s.trim()) : v;
          where = name;
          break;
        }
      }
      if (raw === undefined && sources.file && spec.name in sources.file) {
        raw = sources.file[spec.name];
        where = `config key "${spec.name}"`;
      }
    }
    if (raw === undefined) {
      out[spec.name] = spec.default === undefined ? undefined : normalizeDefault(spec.default);
      continue;
    }
    out[spec.name] = validate(spec, raw, where);
  }
  return out;
}

function normalizeDefault(d: NonNullable<OptionSpec['default']>): OptionValue {
  return Array.isArray(d) ? [...d] : (d as string | number | boolean);
}

function validate(spec: OptionSpec, raw: unknown, where: string): OptionValue {
  if (spec.multiple) {
    const list = Array.isArray(raw) ? raw : [raw];
    return list.map((v) => String(validateOne(spec, v, where)));
  }
  if (Array.isArray(raw)) return validateOne(spec, raw[raw.length - 1], where);
  return validateOne(spec, raw, where);
}

function validateOne(spec: OptionSpec, raw: unknown, where: string): string | number | boolean {
  const bad = (why: string): ConfigError => new ConfigError(`${where}: ${why} (got ${JSON.stringify(raw)})`);
  switch (spec.type) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      throw bad('expected true or false');
    }
    case 'int':
    case 'number': {
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (String(raw).trim() === '' || !Number.isFinite(n)) throw bad('expected a number');
      if (spec.type === 'int' && !Number.isInteger(n)) throw bad('expected a whole number');
      if (spec.min !== undefined && n < spec.min) throw bad(`must be at least ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) throw bad(`must be at most ${spec.max}`);
      return n;
    }
    case 'enum': {
      const s = String(raw);
      if (!spec.choices?.includes(s)) throw bad(`expected one of ${spec.choices?.join(', ')}`);
      return s;
    }
    case 'url': {
      const s = String(raw);
      try {
        const u = new URL(s);
        if (!/^(https?|s3):$/.test(u.protocol)) throw new Error('scheme');
      } catch {
        throw bad('expected an http://, https:// or s3:// URL');
      }
      return s;
    }
    default: {
      if (typeof raw !== 'string' && typeof raw !== 'number') throw bad('expected text');
      const s = String(raw);
      if (s === '') throw bad('must not be empty');
      if (spec.choices && !spec.choices.includes(s)) throw bad(`expected one of ${spec.choices.join(', ')}`);
      return s;
    }
  }
}

/** Help text lines for a list of specs. */
export function optionHelp(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const flag = `--${s.name}${s.type === 'boolean' ? '' : ` <${s.placeholder ?? s.type}>`}`;
    const extra: string[] = [];
    if (s.choices) extra.push(s.choices.join('|'));
    if (s.default !== undefined && s.default !== '') extra.push(`default ${String(s.default)}`);
    if (s.multiple) extra.push('repeatable');
    return [flag, s.description + (extra.length ? ` (${extra.join('; ')})` : '')] as const;
  });
  const width = Math.min(34, Math.max(...rows.map((r) => r[0].length), 0) + 2);
  return rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`).join('\n');
}
