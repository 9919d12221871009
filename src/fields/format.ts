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

/** Where headerless lines take their field order from when no format was given. */
export const DEFAULT_FORMAT_ORIGIN = 'the default v2 format';

/** The default format of Transit Gateway flow logs, as AWS writes it when none is chosen. */
export const TGW_DEFAULT_FORMAT: ParsedFormat = parseFormat(
  'version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id ' +
    'tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id ' +
    'tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr ' +
    'srcport dstport protocol packets bytes start end log-status type packets-lost-no-route ' +
    'packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region ' +
    'flow-direction pkt-src-aws-service pkt-dst-aws-service',
);

/**
 * AWS's default formats, each with the origin named in messages. Headerless lines with no
 * format given take the one whose field count they have (the two counts differ: 14 and 36).
 */
export const AWS_DEFAULT_FORMATS: readonly { readonly format: ParsedFormat; readonly origin: string }[] = [
  { format: DEFAULT_FORMAT, origin: DEFAULT_FORMAT_ORIGIN },
  { format: TGW_DEFAULT_FORMAT, origin: 'the default Transit Gateway format' },
];

/** The AWS default format (other than `current`) of headerless lines of `count` fields, if any. */
export function defaultFormatFor(
  count: number,
  currentOrigin: string,
): { readonly format: ParsedFormat; readonly origin: string } | undefined {
  if (!AWS_DEFAULT_FORMATS.some((d) => d.origin === currentOrigin)) return undefined;
  return AWS_DEFAULT_FORMATS.find((d) => d.origin !== currentOrigin && d.format.fields.length === count);
}

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
