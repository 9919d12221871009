import type { Column } from '../batch/flow-batch.js';
import { CODED_COLUMNS, type CodedColumn, codeColumn, decodeSql, encodeSql, valuesListSql } from './coded.js';
import type { EncodedColumn } from './encode.js';

/**
 * The columns whose values come from small fixed tables (coded.ts) — `action`, `log_status`,
 * `protocol_name`, `tcp_flag_names`, the network classes and `flow_class` — stored together as
 * one number, `packed_codes` (UINTEGER): each column's code plus one (0 standing for NULL) as a
 * digit of a mixed-radix number. DuckDB's appender costs about the same per column whatever
 * its width, so one column instead of seven saves most of their cost; `flows` takes each digit
 * out with arithmetic and shows the seven columns as before.
 *
 * The fields some batch packed are listed in the store's `flowlens_meta` table (migrations.ts; set in
 * the input's transaction, so an input that rolls back takes its additions with it): `flows`
 * shows those, so a store of records never enriched shows no enrichment columns.
 *
 * A column missing from a batch packs as NULL. A column holding a value outside its table
 * cannot be packed: that column alone is stored on its own (coded, or text; coded.ts), its
 * digit left NULL, and `flows` shows the stored value where it is set.
 */

export const PACKED_COLUMN = 'packed_codes';
export const PACKED_FIELDS = [
  'action',
  'log_status',
  'protocol_name',
  'tcp_flag_names',
  'src_network_class',
  'dst_network_class',
  'flow_class',
] as const;
const DEFS: readonly CodedColumn[] = PACKED_FIELDS.map((f) => CODED_COLUMNS.get(f)!);
/** Digits per field: the table's codes and NULL. */
const RADIX = DEFS.map((d) => d.values.length + 1);
/** What one unit of each field's digit is worth in the packed number. */
const WEIGHT = DEFS.map((_, k) => RADIX.slice(k + 1).reduce((w, r) => w * r, 1));

if (RADIX[0]! * WEIGHT[0]! > 0xffffffff) throw new Error('packed_codes: the digits do not fit a UINTEGER');

export const packedIndex = (name: string): number => (PACKED_FIELDS as readonly string[]).indexOf(name);

/**
 * How the store's column map (schema.ts `flowsViewSql`) says a field is in `packed_codes`: an
 * entry under this key, of type PACKED_MARK, beside the physical columns.
 */
export const packedKey = (field: string): string => `${PACKED_COLUMN}.${field}`;
export const PACKED_MARK = 'PACKED';

/** The fields a packed-fields list names (see above), as column map entries. */
export function packedEntries(comment: string | null): Array<readonly [string, string]> {
  const listed = (comment ?? '').split(',').filter((f) => packedIndex(f) >= 0);
  return listed.map((f) => [packedKey(f), PACKED_MARK] as const);
}

/** The list naming `fields`, as the store keeps it in flowlens_meta. */
export const packedComment = (fields: Iterable<string>): string =>
  PACKED_FIELDS.filter((f) => new Set(fields).has(f)).join(',');

/**
 * The packed column of a batch, and the fields it holds (present and with every value in its
 * table); undefined when it would hold none.
 */
export function encodePacked(
  cols: readonly (Column | undefined)[],
  n: number,
): { column: EncodedColumn; fields: readonly string[] } | undefined {
  const out = new Uint32Array(n);
  const validity = new Uint8Array(Math.ceil(n / 8));
  const fields: string[] = [];
  for (let k = 0; k < DEFS.length; k++) {
    const col = cols[k];
    const part = col ? codeColumn(DEFS[k]!, col, n) : undefined;
    if (!part) continue;
    fields.push(PACKED_FIELDS[k]!);
    const { codes, validity: valid } = part;
    const w = WEIGHT[k]!;
    for (let i = 0; i < n; i++) {
      if ((valid[i >> 3]! & (1 << (i & 7))) !== 0) out[i]! += (codes[i]! + 1) * w;
    }
    for (let b = 0; b < validity.length; b++) validity[b]! |= valid[b]!;
  }
  if (fields.length === 0) return undefined;
  return { column: { type: 'UINTEGER', data: out.buffer, validity, packed: fields }, fields };
}

/**
 * SQL for field `k`'s value from a packed number (NULL where its digit is 0). Text values are
 * looked up by the digit itself in the value list (digit 0 finds nothing, so NULL): the view
 * is bound again by every query, and the CASE coded.ts uses repeats the digit's arithmetic per
 * value, which made binding `flows` 2.5 times slower.
 */
export function packedValueSql(k: number, packed: string): string {
  const def = DEFS[k]!;
  const digit = `((${packed} // ${WEIGHT[k]!}) % ${RADIX[k]!})`;
  if (def.textType === 'VARCHAR') return `list_extract(${valuesListSql(def)}, ${digit})`;
  return decodeSql(def, `(nullif(${digit}, 0) - 1)`);
}

/** SQL packing staged values (text as `flows` shows it; lists joined, see staging.ts) by field name. */
export function packedSql(texts: ReadonlyMap<string, string>): string {
  const digits: string[] = [];
  DEFS.forEach((def, k) => {
    const text = texts.get(PACKED_FIELDS[k]!);
    if (text) digits.push(`coalesce(CAST(${encodeSql(def, text)} AS BIGINT) + 1, 0) * ${WEIGHT[k]!}`);
  });
  const allNull = [...texts.values()].map((t) => `${t} IS NULL`).join(' AND ');
  return `CASE WHEN ${allNull} THEN NULL ELSE CAST(${digits.join(' + ')} AS UINTEGER) END`;
}
