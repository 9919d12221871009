import type { DuckDBConnection } from '@duckdb/node-api';
import type { Column } from '../batch/flow-batch.js';
import type { EncodedColumn } from './encode.js';

/**
 * Per-store dictionaries for enrichment values that repeat: a city with its coordinates, an AS
 * organisation. `flow_records` holds one UINTEGER code per record and side (`src_geo_code`…),
 * a small side table (`flow_geo_dict`, `flow_as_org_dict`) holds each distinct value once, and
 * the `flows` view looks the code up, so it shows `src_city`, `src_lat`… as before. DuckDB
 * appends an integer several times faster than a string (and a code stands for three columns
 * here); the side tables hold only values the geo databases have, so they stay small.
 *
 * Codes are dense (1, 2, 3… in the order values first appear), so the view finds a value by
 * position in one list built per query from the side table; an unused column costs nothing.
 * Plain columns of the same names (stores written before this layout, or a batch whose column
 * is not of the expected kind) stay readable: `flows` shows the plain value where it is set.
 */

export interface DimMember {
  /** Column in the side table. */
  readonly column: string;
  readonly type: 'VARCHAR' | 'DOUBLE';
}

export interface DimTable {
  readonly table: string;
  readonly members: readonly DimMember[];
}

export interface DimColumn {
  /** The code column in `flow_records`. */
  readonly name: string;
  readonly dim: DimTable;
  /** The batch's (and `flows`') column for each member, in member order. */
  readonly fields: readonly string[];
}

const GEO: DimTable = {
  table: 'flow_geo_dict',
  members: [
    { column: 'city', type: 'VARCHAR' },
    { column: 'lat', type: 'DOUBLE' },
    { column: 'lon', type: 'DOUBLE' },
  ],
};
const AS_ORG: DimTable = { table: 'flow_as_org_dict', members: [{ column: 'org', type: 'VARCHAR' }] };
/** The inputs records came from: `source_code` in `flow_records`, one value per input. */
export const SOURCES: DimTable = {
  table: 'flow_source_dict',
  members: [{ column: 'source', type: 'VARCHAR' }],
};

export const DIM_TABLES: readonly DimTable[] = [GEO, AS_ORG, SOURCES];

export const DIM_COLUMNS: readonly DimColumn[] = [
  { name: 'src_geo_code', dim: GEO, fields: ['src_city', 'src_lat', 'src_lon'] },
  { name: 'dst_geo_code', dim: GEO, fields: ['dst_city', 'dst_lat', 'dst_lon'] },
  { name: 'src_as_org_code', dim: AS_ORG, fields: ['src_as_org'] },
  { name: 'dst_as_org_code', dim: AS_ORG, fields: ['dst_as_org'] },
];

export const DIM_BY_CODE_COLUMN: ReadonlyMap<string, DimColumn> = new Map(
  DIM_COLUMNS.map((d) => [d.name, d]),
);
/** Batch column → the code column holding it. */
export const DIM_BY_FIELD: ReadonlyMap<string, DimColumn> = new Map(
  DIM_COLUMNS.flatMap((d) => d.fields.map((f) => [f, d] as const)),
);

export const quoteId = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const quoteText = (text: string): string => `'${text.replaceAll("'", "''")}'`;

export function createDimTableSql(dim: DimTable): string {
  const cols = dim.members.map((m) => `${quoteId(m.column)} ${m.type}`);
  return `CREATE TABLE IF NOT EXISTS ${dim.table} (code UINTEGER, ${cols.join(', ')})`;
}

/** Alias of a side table's value lists in the `flows` view. */
const listsAlias = (dim: DimTable): string => `${dim.table}_lists`;

/**
 * SQL for member `k` of the value a code expression stands for (NULL for a NULL code), by
 * position in the member's list; the query must join `dimListsSql(dim)`.
 */
export function dimValueSql(dim: DimTable, k: number, code: string): string {
  return `${listsAlias(dim)}.${listColumn(dim.members[k]!)}[${code}]`;
}

/** A list's column name: prefixed, so that it never matches a `flow_records` column the view reads unqualified. */
const listColumn = (m: DimMember): string => quoteId(`flowlens_list_${m.column}`);

/**
 * One row holding each member of a side table as a list in code order, to join to
 * `flow_records` in the view. One such join per side table binds several times faster than one
 * scalar subquery per column (tens of ms per query with ten of them) and costs nothing at run
 * time: it is one row, built only when a query reads one of its columns.
 */
export function dimListsSql(dim: DimTable): string {
  const lists = dim.members.map((m) => `list(${quoteId(m.column)} ORDER BY code) AS ${listColumn(m)}`);
  return `(SELECT ${lists.join(', ')} FROM ${dim.table}) ${listsAlias(dim)}`;
}

/** Whether SQL text reads a side table's lists (see dimValueSql). */
export const usesDimLists = (sql: string, dim: DimTable): boolean => sql.includes(`${listsAlias(dim)}.`);

/** Values of a code column's distinct tuples, per member: text members as strings, numbers as numbers. */
export type DimValues = ReadonlyArray<readonly (string | null)[] | Float64Array>;

/**
 * The code column of a batch (main thread): each row's tuple gets a code local to the batch
 * (1…k, 0 = every member NULL), and the tuples go along in `dimValues`; the store's worker maps
 * them to the store's codes. Undefined when a member column is not of its kind (then the
 * batch's columns are stored as they are).
 */
export function encodeDim(
  def: DimColumn,
  cols: readonly (Column | undefined)[],
  n: number,
  /** Value arrays already made for a dictionary in this batch (both sides usually share one). */
  shared: WeakMap<readonly string[], readonly (string | null)[]> = new WeakMap(),
): EncodedColumn | undefined {
  const members = def.dim.members;
  for (let m = 0; m < members.length; m++) {
    const c = cols[m];
    if (c && c.kind !== (members[m]!.type === 'VARCHAR' ? 'str' : 'num')) return undefined;
  }
  const codes = new Uint32Array(n);
  const validity = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
  const only = cols[0];
  if (members.length === 1 && only?.kind === 'str') {
    // One text member: the batch's dictionary codes are the tuple codes.
    codes.set(only.codes.subarray(0, n));
    for (let i = 0; i < n; i++) if (codes[i] === 0) validity[i >> 3]! &= ~(1 << (i & 7));
    // Both sides usually share one dictionary: one array, cloned once when posted.
    let values = shared.get(only.dict);
    if (!values) {
      values = only.dict.map((v, d) => (d === 0 ? null : v));
      shared.set(only.dict, values);
    }
    return { type: 'UINTEGER', data: codes.buffer, validity, dimValues: [values] };
  }
  const table = new TupleTable(cols, n);
  for (let i = 0; i < n; i++) {
    const code = table.codeOf(i);
    codes[i] = code;
    if (code === 0) validity[i >> 3]! &= ~(1 << (i & 7));
  }
  return { type: 'UINTEGER', data: codes.buffer, validity, dimValues: table.values(members) };
}

const NUM_VIEW = new Float64Array(1);
const NUM_BITS = new Int32Array(NUM_VIEW.buffer);

/**
 * Distinct tuples of a batch's member columns, found with an open-addressing hash table over
 * typed arrays: no string or object per row. Keys are 32-bit words: a dictionary code per text
 * member, the two halves of the float's bits per number (NaN = NULL, one key).
 */
class TupleTable {
  private readonly width: number;
  private readonly slots: Int32Array;
  private readonly keys: Int32Array;
  private readonly rowOf: Int32Array;
  private readonly key: Int32Array;
  private count = 0;

  constructor(
    private readonly cols: readonly (Column | undefined)[],
    n: number,
  ) {
    this.width = cols.reduce((w, c) => w + (c?.kind === 'num' ? 2 : 1), 0);
    let cap = 16;
    while (cap < 2 * n) cap *= 2;
    this.slots = new Int32Array(cap);
    this.keys = new Int32Array((n + 1) * this.width);
    this.rowOf = new Int32Array(n + 1);
    this.key = new Int32Array(this.width);
  }

  /** Row i's tuple code (0 when every member is NULL). */
  codeOf(i: number): number {
    const key = this.key;
    let w = 0;
    let present = false;
    for (const c of this.cols) {
      if (c === undefined) {
        key[w++] = 0;
      } else if (c.kind === 'num') {
        const v = c.values[i]!;
        if (Number.isNaN(v)) {
          key[w++] = 0;
          key[w++] = 0x7ff80000;
        } else {
          present = true;
          NUM_VIEW[0] = v;
          key[w++] = NUM_BITS[0]!;
          key[w++] = NUM_BITS[1]!;
        }
      } else if (c.kind === 'str') {
        const d = c.codes[i]!;
        if (d !== 0) present = true;
        key[w++] = d;
      }
    }
    if (!present) return 0;
    let h = 0x811c9dc5;
    for (let k = 0; k < this.width; k++) h = Math.imul(h ^ key[k]!, 0x01000193);
    h ^= h >>> 15;
    const mask = this.slots.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const code = this.slots[s]!;
      if (code === 0) {
        const made = ++this.count;
        this.slots[s] = made;
        this.keys.set(key, made * this.width);
        this.rowOf[made] = i;
        return made;
      }
      if (this.same(code)) return code;
    }
  }

  private same(code: number): boolean {
    const base = code * this.width;
    for (let k = 0; k < this.width; k++) if (this.keys[base + k] !== this.key[k]) return false;
    return true;
  }

  /** Each tuple's member values, indexed by tuple code (entry 0 unused). */
  values(members: readonly DimMember[]): DimValues {
    return members.map((_, m) => {
      const c = this.cols[m];
      if (c?.kind === 'num') {
        const out = new Float64Array(this.count + 1).fill(Number.NaN);
        for (let t = 1; t <= this.count; t++) out[t] = c.values[this.rowOf[t]!]!;
        return out;
      }
      const out: (string | null)[] = new Array(this.count + 1).fill(null);
      if (c?.kind === 'str') {
        for (let t = 1; t <= this.count; t++) {
          const d = c.codes[this.rowOf[t]!]!;
          out[t] = d === 0 ? null : c.dict[d]!;
        }
      }
      return out;
    });
  }
}

const KEY_NUM = new Float64Array(1);
const KEY_HALVES = new Uint16Array(KEY_NUM.buffer);

/**
 * A tuple as one string key: text as itself, a number as its 64 bits in four UTF-16 units
 * (formatting a double as decimal text cost more than the rest of the lookup), NULL apart.
 */
function tupleKey(values: DimValues, t: number): string {
  let key = '';
  for (let m = 0; m < values.length; m++) {
    const x = values[m]![t];
    if (m > 0) key += '\u001f';
    if (typeof x === 'string') key += `=${x}`;
    else if (typeof x === 'number' && !Number.isNaN(x)) {
      KEY_NUM[0] = x;
      key += `#${String.fromCharCode(KEY_HALVES[0]!, KEY_HALVES[1]!, KEY_HALVES[2]!, KEY_HALVES[3]!)}`;
    } else key += '\u0000';
  }
  return key;
}

/**
 * One side table as the store's worker keeps it: value → code, loaded at open and after any
 * change it does not make itself (a re-ingest's SQL, a rollback).
 */
export class DimDictionary {
  private codes = new Map<string, number>();
  private next = 1;

  constructor(readonly dim: DimTable) {}

  async load(con: DuckDBConnection): Promise<void> {
    const cols = this.dim.members.map((m) => quoteId(m.column)).join(', ');
    const rows = (
      await con.runAndReadAll(`SELECT code, ${cols} FROM ${this.dim.table} ORDER BY code`)
    ).getRowsJS();
    this.codes = new Map();
    this.next = 1;
    for (const r of rows) {
      const code = Number(r[0]);
      const values: DimValues = this.dim.members.map((m, k) =>
        m.type === 'DOUBLE'
          ? Float64Array.of(0, r[k + 1] === null ? Number.NaN : Number(r[k + 1]))
          : [null, r[k + 1] === null ? null : String(r[k + 1])],
      );
      this.codes.set(tupleKey(values, 1), code);
      if (code !== this.next) {
        throw new Error(
          `${this.dim.table}: codes are not 1…n in order (found ${code}, expected ${this.next})`,
        );
      }
      this.next = code + 1;
    }
  }

  /**
   * The code of one text value of a one-member table, added when new, looked up in the side
   * table itself: for the source dictionary, which gains one value per input and is not
   * loaded into memory (a store may have seen millions of inputs).
   */
  async codeOf(con: DuckDBConnection, value: string): Promise<number> {
    const column = quoteId(this.dim.members[0]!.column);
    const found = await con.runAndReadAll(
      `SELECT code FROM ${this.dim.table} WHERE ${column} = ${quoteText(value)}`,
    );
    const row = found.getRowsJS()[0];
    if (row) return Number(row[0]);
    const max = await con.runAndReadAll(`SELECT coalesce(max(code), 0) FROM ${this.dim.table}`);
    const code = Number(max.getRowsJS()[0]![0]) + 1;
    await con.run(`INSERT INTO ${this.dim.table} VALUES (${code}, ${quoteText(value)})`);
    return code;
  }

  /**
   * Turns the batch-local codes of `col` into this store's codes, in place, adding the tuples
   * the store does not have yet to the side table (inside the open transaction).
   */
  async resolve(con: DuckDBConnection, col: EncodedColumn): Promise<void> {
    const values = col.dimValues!;
    const count = values[0]!.length;
    const map = new Uint32Array(count);
    const fresh: number[] = [];
    for (let t = 1; t < count; t++) {
      const key = tupleKey(values, t);
      let code = this.codes.get(key);
      if (code === undefined) {
        code = this.next++;
        this.codes.set(key, code);
        fresh.push(t);
      }
      map[t] = code;
    }
    if (fresh.length > 0) await this.insert(con, values, fresh, map);
    const data = new Uint32Array(col.data!);
    for (let i = 0; i < data.length; i++) data[i] = map[data[i]!]!;
  }

  private async insert(
    con: DuckDBConnection,
    values: DimValues,
    fresh: readonly number[],
    map: Uint32Array,
  ): Promise<void> {
    const appender = await con.createAppender(this.dim.table);
    try {
      for (const t of fresh) {
        appender.appendUInteger(map[t]!);
        this.dim.members.forEach((m, k) => {
          const v = values[k]![t];
          if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)))
            appender.appendNull();
          else if (m.type === 'DOUBLE') appender.appendDouble(Number(v));
          else appender.appendVarchar(String(v));
        });
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }
}
