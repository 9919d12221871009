import { DEFAULT_FIELDS, type FieldDef, resolveField } from './catalog.js';

export interface ParsedFormat {
  readonly fields: readonly FieldDef[];
  /** Names that are not in the catalog; each is kept as a string column. */
  readonly unknown: readonly string[];
}

export class FormatError extends Error {
  override name = 'FormatError';
}

const TOKEN = /^\$\{([A-Za-z0-9_-]+)\}$|^([A-Za-z0-9_-]+)$/;

/**
 * Parses a LogFormat string (`${version} ${account-id} …`) or a plain list of names
 * (`version account_id …`, spaces or commas), in either spelling.
 */
export function parseFormat(spec: string, where = '--format'): ParsedFormat {
  const tokens = spec
    .trim()
    .split(/[\s,]+/)
    .filter((t) => t.length > 0);
  if (tokens.length === 0) throw new FormatError(`${where}: the format lists no fields`);
  const fields: FieldDef[] = [];
  const unknown: string[] = [];
  const seen = new Set<string>();
  for (const token of tokens) {
    const m = TOKEN.exec(token);
    if (!m) throw new FormatError(`${where}: "${token}" is not a field name or \${field-name}`);
    const field = resolveField(m[1] ?? m[2]!);
    if (seen.has(field.column)) throw new FormatError(`${where}: field "${field.name}" appears twice`);
    seen.add(field.column);
    if (!field.known) unknown.push(field.name);
    fields.push(field);
  }
  return { fields, unknown };
}

/** Unknown fields named one warning each up to this many; more are summed up in one warning. */
const NAMED_UNKNOWN = 10;

/** The warnings for a format's unknown fields, each prefixed with `where`. */
export function unknownFieldWarnings(where: string, unknown: readonly string[]): string[] {
  if (unknown.length <= NAMED_UNKNOWN)
    return unknown.map((name) => `${where}: unknown field "${name}" kept as text`);
  const first = unknown
    .slice(0, NAMED_UNKNOWN)
    .map((name) => `"${name}"`)
    .join(', ');
  return [`${where}: ${unknown.length} unknown fields kept as text (${first}, …)`];
}

/** The LogFormat string for a list of fields, as AWS writes it. */
export function formatString(fields: readonly FieldDef[]): string {
  return fields.map((f) => '${' + f.name + '}').join(' ');
}

/** The text header line AWS writes as the first line of an S3 object. */
export function headerLine(fields: readonly FieldDef[]): string {
  return fields.map((f) => f.name).join(' ');
}

export const DEFAULT_FORMAT: ParsedFormat = { fields: DEFAULT_FIELDS, unknown: [] };

/**
 * True when a line looks like a header rather than a record: every token is a field name
 * (in either spelling) and at least one is a known field. Records always start with a number.
 */
export function looksLikeHeader(tokens: readonly string[]): boolean {
  if (tokens.length === 0) return false;
  let known = 0;
  for (const t of tokens) {
    if (!/^[a-z][a-z0-9_-]*$/.test(t)) return false;
    if (resolveField(t).known) known++;
  }
  return known > 0;
}
