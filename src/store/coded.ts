import type { Column } from '../batch/flow-batch.js';
import { protocolName } from '../enrich/protocols.js';

/**
 * Columns whose values come from a small table fixed in code (`action`, `log_status`, and the
 * enrichments protocol_name, tcp_flag_names, network and flow classes, country codes): each
 * value has a one- or two-byte code into its table. The store keeps the codes, not the text
 * (DuckDB appends and compresses a small integer several times faster than a string): packed
 * together into one number (packed.ts), countries inside the place dictionary (dim-tables.ts),
 * or, for a column that cannot go there, in a column of codes of its own; the `flows` view
 * turns codes back into values, of the same type, as if the strings were stored.
 *
 * A value outside the table (another tool's enricher, a custom batch) cannot be coded: a
 * column of codes that meets one is stored as plain text from then on (the store converts it
 * in place, inside the input's transaction). Tables are append-only: stored codes index them.
 */

export type CodeType = 'UTINYINT' | 'USMALLINT';
export type CodedValue = string | readonly string[] | null;

export interface CodedColumn {
  readonly name: string;
  readonly type: CodeType;
  /** The column's type in `flows` (and the type it is converted to when a value does not fit). */
  readonly textType: 'VARCHAR' | 'VARCHAR[]';
  /** The value each code stands for; null entries are codes no value has. */
  readonly values: readonly CodedValue[];
  /** value key (see `valueKey`) → code. */
  readonly codes: ReadonlyMap<string, number>;
  /**
   * How `flows` turns a code back into its value (see decodeSql): CASE for a few values; a
   * list lookup; a slice of one string for values of one width; for lists of flag names, the
   * names of the code's set bits.
   */
  readonly decode: 'case' | 'list' | 'fixed' | { readonly bits: readonly string[] };
}

/** U+001F joins list values into one key, as the staging tables hold lists. */
export const LIST_KEY_SEPARATOR = '\u001f';

export const valueKey = (v: string | readonly string[]): string =>
  typeof v === 'string' ? v : v.join(LIST_KEY_SEPARATOR);

/** TCP flag bits, lowest first: code m is the list of the names of m's set bits. */
const TCP_FLAGS = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr'];
/** Network classes as the network enricher names them (append-only). */
const NETWORK_CLASSES = [
  null,
  'private',
  'shared',
  'loopback',
  'link-local',
  'multicast',
  'documentation',
  'benchmarking',
  'unspecified',
  'broadcast',
  'reserved',
  'public',
];
const FLOW_CLASSES = [null, 'internal', 'inbound', 'outbound', 'external'];
const A = 65;
/** Every two-letter upper-case code: AA = 0 … ZZ = 675 (ISO 3166-1 alpha-2 and the rest). */
const COUNTRY_CODES = Array.from(
  { length: 26 * 26 },
  (_, k) => String.fromCharCode(A + Math.floor(k / 26)) + String.fromCharCode(A + (k % 26)),
);

function coded(
  name: string,
  type: CodeType,
  textType: CodedColumn['textType'],
  values: readonly CodedValue[],
  decode: CodedColumn['decode'] = 'case',
): CodedColumn {
  const codes = new Map<string, number>();
  values.forEach((v, code) => {
    if (v !== null && !codes.has(valueKey(v))) codes.set(valueKey(v), code);
  });
  if (
    decode === 'fixed' &&
    values.some((v) => typeof v !== 'string' || v.length !== String(values[0]).length)
  ) {
    throw new Error(`coded column ${name}: a 'fixed' table needs values of one width`);
  }
  return { name, type, textType, values, codes, decode };
}

const networkClass = (name: string): CodedColumn => coded(name, 'UTINYINT', 'VARCHAR', NETWORK_CLASSES);
const country = (name: string): CodedColumn => coded(name, 'USMALLINT', 'VARCHAR', COUNTRY_CODES, 'fixed');

export const CODED_COLUMNS: ReadonlyMap<string, CodedColumn> = new Map(
  [
    coded('action', 'UTINYINT', 'VARCHAR', ['ACCEPT', 'REJECT']),
    coded('log_status', 'UTINYINT', 'VARCHAR', ['OK', 'NODATA', 'SKIPDATA']),
    coded(
      'protocol_name',
      'UTINYINT',
      'VARCHAR',
      Array.from({ length: 256 }, (_, n) => protocolName(n)),
      'list',
    ),
    coded(
      'tcp_flag_names',
      'UTINYINT',
      'VARCHAR[]',
      Array.from({ length: 256 }, (_, m) => TCP_FLAGS.filter((_, bit) => (m & (1 << bit)) !== 0)),
      { bits: TCP_FLAGS },
    ),
    networkClass('src_network_class'),
    networkClass('dst_network_class'),
    coded('flow_class', 'UTINYINT', 'VARCHAR', FLOW_CLASSES),
    country('src_country'),
    country('dst_country'),
  ].map((c) => [c.name, c]),
);

/** Whether a physical column holds codes (it may have been converted to text). */
export function isCodedColumn(name: string, physicalType: string): CodedColumn | undefined {
  const c = CODED_COLUMNS.get(name);
  return c && c.type === physicalType ? c : undefined;
}

/**
 * The code of every row of a batch column (validity: bit set = not NULL), or undefined when
 * a value is not in the table or the column is not of the table's kind. Once per dictionary
 * value for string columns; lists are looked up once per distinct array object.
 */
export function codeColumn(
  def: CodedColumn,
  col: Column,
  n: number,
): { codes: Uint8Array | Uint16Array; validity: Uint8Array } | undefined {
  const codes = def.type === 'UTINYINT' ? new Uint8Array(n) : new Uint16Array(n);
  const validity = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
  if (def.textType === 'VARCHAR') {
    if (col.kind !== 'str') return undefined;
    const remap = new Int32Array(col.dict.length);
    for (let d = 1; d < col.dict.length; d++) remap[d] = def.codes.get(col.dict[d]!) ?? -1;
    const src = col.codes;
    for (let i = 0; i < n; i++) {
      const d = src[i]!;
      if (d === 0) {
        validity[i >> 3]! &= ~(1 << (i & 7));
        continue;
      }
      const code = remap[d]!;
      if (code < 0) return undefined;
      codes[i] = code;
    }
    return { codes, validity };
  }
  if (col.kind !== 'list') return undefined;
  // Rows share list objects (the enricher hands out one frozen array per flag mask).
  const seen = new Map<readonly string[], number>();
  for (let i = 0; i < n; i++) {
    const list = col.values[i];
    if (!list) {
      validity[i >> 3]! &= ~(1 << (i & 7));
      continue;
    }
    let code = seen.get(list);
    if (code === undefined) {
      code = def.codes.get(valueKey(list)) ?? -1;
      seen.set(list, code);
    }
    if (code < 0) return undefined;
    codes[i] = code;
  }
  return { codes, validity };
}

function sqlText(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function sqlValue(v: CodedValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'string') return sqlText(v);
  return `[${v.map(sqlText).join(', ')}]::VARCHAR[]`;
}

/**
 * SQL turning a code expression back into its value. The view is bound again by every query
 * on `flows`, so the value tables are written to bind fast: a literal list of 256 lists took
 * 9 ms per query; a CASE, one list of strings, one string to slice, or the flag names
 * filtered by bit take 0.1–1 ms.
 * The code is widened first: `code + 1` overflows a UTINYINT at 255.
 */
export function decodeSql(def: CodedColumn, code: string): string {
  const wide = `CAST(${code} AS INTEGER)`;
  const decode = def.decode;
  if (decode === 'case') {
    const whens = def.values.flatMap((v, k) => (v === null ? [] : [`WHEN ${k} THEN ${sqlValue(v)}`]));
    return `CASE ${wide} ${whens.join(' ')} END`;
  }
  if (decode === 'list') return `list_extract([${def.values.map(sqlValue).join(', ')}], ${wide} + 1)`;
  if (decode === 'fixed') {
    const width = (def.values[0] as string).length;
    return `substr(${sqlText(def.values.join(''))}, ${wide} * ${width} + 1, ${width})`;
  }
  // Lambda parameters named so that they shadow no column of `flows`.
  const names = `[${decode.bits.map(sqlText).join(', ')}]::VARCHAR[]`;
  return `CASE WHEN ${code} IS NULL THEN NULL ELSE list_filter(${names}, (flowlens_name, flowlens_bit) -> (${wide} >> (flowlens_bit - 1)) & 1 = 1) END`;
}

/** The value table as one SQL list literal: code k is element k + 1 (for text tables). */
export function valuesListSql(def: CodedColumn): string {
  return `[${def.values.map(sqlValue).join(', ')}]`;
}

/**
 * decodeSql as a plain lookup in the whole value table: for converting a column to text
 * (ALTER … USING), where DuckDB 1.5 fails on the lambda of a flag-name table.
 */
export function decodeByListSql(def: CodedColumn, code: string): string {
  const values = `CAST([${def.values.map(sqlValue).join(', ')}] AS ${def.textType}[])`;
  return `list_extract(${values}, CAST(${code} AS INTEGER) + 1)`;
}

/**
 * SQL turning a staged value (text; lists joined by U+001F, see staging.ts) into its code;
 * NULL when it has none (the caller makes sure every value fits first).
 */
export function encodeSql(def: CodedColumn, text: string): string {
  const keys = def.values.map((v) => (v === null ? 'NULL' : sqlText(valueKey(v))));
  return `CAST(list_position([${keys.join(', ')}], ${text}) - 1 AS ${def.type})`;
}
