import { decodeSql, isCodedColumn } from './coded.js';
import { DIM_BY_FIELD, dimListsSql, dimValueSql } from './dim-tables.js';
import { PACKED_COLUMN, packedIndex, packedValueSql } from './packed.js';
import { quoteIdent, RECORDS_TABLE } from './schema.js';

/**
 * Report sections grouping a `flows` column that the store keeps as codes (a coded column,
 * coded.ts; a dictionary member, dim-tables.ts; a packed code, packed.ts) run over
 * `flow_records` instead: they group the stored codes, look each group's value up once, and
 * group those values again (several codes can stand for one value: places of one country, the
 * organisations of one AS). Looking the value up per record and grouping the text takes about
 * twice as long. Same rows, order and types as the section over `flows`.
 */

/**
 * The store's physical columns and their types: `flow_records`' by name, the side tables' as
 * `table.column` (a store written before may lack a member its side table has now).
 */
export type PhysicalColumns = ReadonlyMap<string, string>;

/** The forms a `flows` column is stored in: grouping keys over `flow_records`, and its value from them. */
interface StoredForms {
  readonly keys: readonly string[];
  /** The value from the keys (`g.k0`, `g.k1`…) and the lists joined for it. */
  readonly value: string;
  readonly joins: readonly string[];
}

function storedForms(column: string, physical: PhysicalColumns): StoredForms | undefined {
  const keys: string[] = [];
  const values: string[] = [];
  const joins: string[] = [];
  const key = (expr: string): string => {
    keys.push(expr);
    return `g.k${keys.length - 1}`;
  };
  let codes = false;
  const plainType = physical.get(column);
  if (plainType !== undefined) {
    const coded = isCodedColumn(column, plainType);
    const k = key(quoteIdent(column));
    values.push(coded ? decodeSql(coded, k) : k);
    codes ||= coded !== undefined;
  }
  const dim = DIM_BY_FIELD.get(column);
  const member = dim?.fields.indexOf(column) ?? -1;
  if (dim && physical.has(dim.name) && physical.has(`${dim.dim.table}.${dim.dim.members[member]!.column}`)) {
    values.push(dimValueSql(dim.dim, member, key(quoteIdent(dim.name))));
    joins.push(dimListsSql(dim.dim, [member]));
    codes = true;
  }
  const packed = packedIndex(column);
  if (packed >= 0 && physical.has(PACKED_COLUMN)) {
    values.push(packedValueSql(packed, key(quoteIdent(PACKED_COLUMN))));
    codes = true;
  }
  if (!codes) return undefined;
  const value = values.length === 1 ? values[0]! : `coalesce(${values.join(', ')})`;
  return { keys, value, joins };
}

/**
 * `totals` of one column over `flow_records` (see above), or undefined when the store holds
 * the column as plain values only (or is a lake): the section then runs over `flows`.
 */
export function storedTotals(
  column: string,
  order: 'bytes' | 'packets' | 'flows',
): (physical: PhysicalColumns) => string | undefined {
  return (physical) => {
    const forms = storedForms(column, physical);
    if (!forms) return undefined;
    const keys = forms.keys.map((k, i) => `${k} AS k${i}`).join(', ');
    const joins = forms.joins.map((j) => `, ${j}`).join('');
    return `SELECT * FROM (
  SELECT ${forms.value} AS ${quoteIdent(column)}, sum(g.bytes) AS bytes, sum(g.packets) AS packets,
    CAST(sum(g.flows) AS BIGINT) AS flows
  FROM (
    SELECT ${keys}, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows
    FROM ${RECORDS_TABLE}
    WHERE {filter} AND (${forms.keys.map((k) => `${k} IS NOT NULL`).join(' OR ')})
    GROUP BY ALL
  ) g${joins}
  GROUP BY 1
) t
WHERE ${quoteIdent(column)} IS NOT NULL
ORDER BY ${order} DESC NULLS LAST, 1
LIMIT {limit}`;
  };
}
