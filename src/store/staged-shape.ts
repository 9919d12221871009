import { CID_COLUMN, CID_HI, CID_LO, communityIdPartsSql } from './community-id.js';
import { DIM_COLUMNS, DIM_TABLES, type DimColumn, quoteId } from './dim-tables.js';
import { PACKED_COLUMN, PACKED_FIELDS, packedSql } from './packed.js';
import { RECORDS_TABLE } from './schema.js';
import { uidRange } from './uid.js';

/** A SELECT of records with every value as `flows` shows it, and its column names. */
export interface PlainInsert {
  readonly cols: readonly string[];
  readonly select: string;
}

/** The same records in the table's stored form, and statements to run first (new dictionary values). */
export interface ShapedInsert extends PlainInsert {
  readonly prelude: readonly string[];
}

/** The staged columns that go into code columns: dictionary members, the packed classes. */
export interface Folded {
  readonly dims: readonly DimColumn[];
  /** The columns that go into `packed_codes` (packed.ts). */
  readonly packed: readonly string[];
  readonly fields: ReadonlySet<string>;
}

/**
 * Which of the staged columns `has` the table stores as codes: dictionary members where it has
 * the code column, the packable columns where it has `packed_codes` and every value of theirs
 * has a code (they are not in `uncodable`).
 */
export function foldedColumns(
  has: ReadonlySet<string>,
  types: ReadonlyMap<string, string>,
  uncodable: ReadonlySet<string>,
): Folded {
  const dims = DIM_COLUMNS.filter((d) => types.has(d.name) && d.fields.some((f) => has.has(f)));
  const packed = types.has(PACKED_COLUMN) ? packableColumns(has, uncodable) : [];
  const fields = new Set([...dims.flatMap((d) => d.fields), ...packed]);
  return { dims, packed, fields };
}

/** The staged columns that can be packed (packed.ts): present, and every value with a code. */
export function packableColumns(has: ReadonlySet<string>, uncodable: ReadonlySet<string>): string[] {
  return PACKED_FIELDS.filter((f) => has.has(f) && !uncodable.has(f));
}

/**
 * The staged (re-ingest) path's records in the form the table stores: community ids as their
 * two numbers when the table has them (the text column keeps the others), dictionary members
 * as codes when the table has the code column (their new values added to the side table
 * first), the columns from fixed tables packed. `plain` holds these columns as values, as
 * `flows` shows them (packed ones as staged: lists joined, see packed.ts `packedSql`). The
 * direct path does the same in JavaScript (encode.ts, dims.ts, packed.ts).
 */
export function storedShape(
  plain: PlainInsert,
  types: ReadonlyMap<string, string>,
  uncodable: ReadonlySet<string>,
): ShapedInsert {
  const has = new Set(plain.cols);
  const { dims, packed, fields: folded } = foldedColumns(has, types, uncodable);
  const cid = types.has(CID_HI) && has.has(CID_COLUMN);
  if (folded.size === 0 && !cid) return { ...plain, prelude: [] };
  const cols: string[] = [];
  const exprs: string[] = [];
  for (const c of plain.cols) {
    if (folded.has(c) || (cid && c === CID_COLUMN)) continue;
    cols.push(c);
    exprs.push(`r.${quoteId(c)}`);
  }
  if (cid) {
    const parts = communityIdPartsSql(`r.${quoteId(CID_COLUMN)}`);
    cols.push(CID_HI, CID_LO);
    exprs.push(parts.hi, parts.lo);
    if (types.has(CID_COLUMN)) {
      cols.push(CID_COLUMN);
      exprs.push(`CASE WHEN ${parts.lo} IS NULL THEN r.${quoteId(CID_COLUMN)} END`);
    }
  }
  if (packed.length > 0) {
    cols.push(PACKED_COLUMN);
    exprs.push(packedSql(new Map(packed.map((f) => [f, `r.${quoteId(f)}`]))));
  }
  const member = (field: string, type: string): string =>
    has.has(field) ? `r.${quoteId(field)}` : `CAST(NULL AS ${type})`;
  const joins: string[] = [];
  dims.forEach((d, k) => {
    const alias = `g${k}`;
    const on = d.dim.members.map(
      (m, j) => `${alias}.${quoteId(m.column)} IS NOT DISTINCT FROM ${member(d.fields[j]!, m.type)}`,
    );
    joins.push(`LEFT JOIN ${d.dim.table} ${alias} ON ${on.join(' AND ')}`);
    cols.push(d.name);
    exprs.push(`${alias}.code`);
  });
  const prelude: string[] = [];
  for (const table of DIM_TABLES) {
    const users = dims.filter((d) => d.dim === table);
    if (users.length === 0) continue;
    const names = table.members.map((m) => quoteId(m.column));
    const sides = users.map(
      (d) =>
        `SELECT ${table.members.map((m, j) => `${member(d.fields[j]!, m.type)} AS ${names[j]}`).join(', ')} FROM (${plain.select}) r`,
    );
    const allNull = names.map((n) => `${n} IS NULL`).join(' AND ');
    // New values get the codes after the highest one, in a fixed order: codes stay 1…n.
    prelude.push(`INSERT INTO ${table.table} (code, ${names.join(', ')})
SELECT CAST((SELECT coalesce(max(code), 0) FROM ${table.table}) + row_number() OVER (ORDER BY ${names.join(', ')}) AS UINTEGER), ${names.join(', ')}
FROM (
  SELECT * FROM (${sides.join('\nUNION\n')}) u WHERE NOT (${allNull})
  EXCEPT SELECT ${names.join(', ')} FROM ${table.table}
) t`);
  }
  const select = `SELECT ${exprs.map((e, i) => `${e} AS ${quoteId(cols[i]!)}`).join(',\n  ')}
FROM (${plain.select}) r
${joins.join('\n')}`;
  return { cols, select, prelude };
}

/** INSERT of the records whose uid the store does not hold yet. */
export function dedupInsertSql(shaped: PlainInsert, sourceId: string): string {
  const names = shaped.cols.map(quoteId).join(', ');
  const [lo, hi] = uidRange(sourceId);
  return `INSERT INTO ${RECORDS_TABLE} (${names})
SELECT * FROM (${shaped.select}) x
WHERE NOT EXISTS (SELECT 1 FROM ${RECORDS_TABLE} f WHERE f.uid BETWEEN ${lo} AND ${hi} AND f.uid = x.uid)`;
}
