import type { DuckDBConnection } from '@duckdb/node-api';
import type { Column } from '../batch/flow-batch.js';
import { type DimColumn, type DimMember, type DimTable, quoteId } from './dim-tables.js';
import type { EncodedColumn } from './encode.js';

/**
 * The per-store dictionaries' work (tables in dim-tables.ts): a batch's code columns with
 * batch-local codes and their values (main thread), and the store's worker's copy of each side
 * table, which maps them to the store's codes and adds new values.
 */

/** Values of a code column's distinct tuples, per member: text members as strings, numbers as numbers. */
export type DimValues = ReadonlyArray<readonly (string | null)[] | Float64Array>;

/** Work shared by a batch's code columns: both sides of a place or an AS use the same values. */
export class DimShare {
  /** Value arrays made for a batch dictionary. */
  readonly dictValues = new WeakMap<readonly string[], readonly (string | null)[]>();
  /** Tuple codes per address, by the per-address array of a column's first member (geo.ts). */
  readonly byAddress = new WeakMap<object, { codes: Uint32Array; values: DimValues }>();
}

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
  share: DimShare = new DimShare(),
): EncodedColumn | undefined {
  const members = def.dim.members;
  for (let m = 0; m < members.length; m++) {
    const c = cols[m];
    if (c && c.kind !== memberKind(members[m]!)) return undefined;
  }
  const codes = new Uint32Array(n);
  const validity = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
  const only = cols[0];
  if (members.length === 1 && only?.kind === 'str') {
    // One text member: the batch's dictionary codes are the tuple codes.
    codes.set(only.codes.subarray(0, n));
    for (let i = 0; i < n; i++) if (codes[i] === 0) validity[i >> 3]! &= ~(1 << (i & 7));
    // Both sides usually share one dictionary: one array, cloned once when posted.
    let values = share.dictValues.get(only.dict);
    if (!values) {
      values = only.dict.map((v, d) => (d === 0 ? null : v));
      share.dictValues.set(only.dict, values);
    }
    return { type: 'UINTEGER', data: codes.buffer, validity, dimValues: [values] };
  }
  const spread = perAddress(cols);
  if (spread) {
    // The geo enricher's columns: tuples found once per address (for both sides), then spread.
    let found = share.byAddress.get(spread.key);
    if (!found) {
      const table = new TupleTable(spread.cols, spread.count);
      const byAddr = new Uint32Array(spread.count);
      for (let a = 0; a < spread.count; a++) byAddr[a] = table.codeOf(a);
      found = { codes: byAddr, values: table.values(members) };
      share.byAddress.set(spread.key, found);
    }
    const rowIds = spread.rowIds;
    const byAddr = found.codes;
    for (let i = 0; i < n; i++) {
      const code = byAddr[rowIds[i]!]!;
      codes[i] = code;
      if (code === 0) validity[i >> 3]! &= ~(1 << (i & 7));
    }
    return { type: 'UINTEGER', data: codes.buffer, validity, dimValues: found.values };
  }
  const table = new TupleTable(cols, n);
  for (let i = 0; i < n; i++) {
    const code = table.codeOf(i);
    codes[i] = code;
    if (code === 0) validity[i >> 3]! &= ~(1 << (i & 7));
  }
  return { type: 'UINTEGER', data: codes.buffer, validity, dimValues: table.values(members) };
}

/**
 * The member columns as the geo enricher made them (their ColumnSpread): per-address
 * columns and the rows' address ids, when every present member was spread over the same rows
 * from arrays of one length; else undefined (columns from elsewhere are coded per row).
 */
function perAddress(
  cols: readonly (Column | undefined)[],
): { key: object; rowIds: Uint32Array; count: number; cols: (Column | undefined)[] } | undefined {
  let rowIds: Uint32Array | undefined;
  let key: object | undefined;
  let count = -1;
  const out: (Column | undefined)[] = [];
  for (const c of cols) {
    if (c === undefined) {
      out.push(undefined);
      continue;
    }
    const spread = c.kind === 'list' ? undefined : c.spread;
    if (!spread || (rowIds && spread.rowIds !== rowIds) || (count >= 0 && spread.of.length !== count))
      return undefined;
    rowIds = spread.rowIds;
    count = spread.of.length;
    key ??= spread.of;
    if (c.kind === 'str' && spread.of instanceof Uint32Array)
      out.push({ kind: 'str', codes: spread.of, dict: c.dict });
    else if (c.kind === 'num' && spread.of instanceof Float64Array)
      out.push({ kind: 'num', values: spread.of });
    else return undefined;
  }
  return rowIds && key ? { key, rowIds, count, cols: out } : undefined;
}

const quoteText = (text: string): string => `'${text.replaceAll("'", "''")}'`;

const memberKind = (m: DimMember): 'str' | 'num' => (m.type === 'VARCHAR' ? 'str' : 'num');

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

/** A member's value: text, or a number (NaN for NULL); NULL text is null. */
type MemberValue = string | number | null;

/** Whether two member values are the same value (NaN = NaN: both NULL; 0 and -0 differ). */
const sameValue = (a: MemberValue, b: MemberValue): boolean => Object.is(a, b);

/** Member m of tuple t. */
const memberAt = (values: DimValues, m: number, t: number): MemberValue => values[m]![t] ?? null;

/**
 * One side table as the store's worker keeps it, loaded at open and after any change it does
 * not make itself (a re-ingest's SQL, a rollback): each code's members, and the codes by first
 * member. A tuple is found by its first member (a city, an organisation, an id: the text
 * already at hand, no key to build) and the rest compared, usually for one candidate.
 */
export class DimDictionary {
  /** Per member, its value for each code (index 0 unused). */
  private stored: MemberValue[][] = [];
  private byFirst = new Map<MemberValue, number[]>();
  private next = 1;

  constructor(readonly dim: DimTable) {}

  async load(con: DuckDBConnection): Promise<void> {
    const cols = this.dim.members.map((m) => quoteId(m.column)).join(', ');
    const rows = (
      await con.runAndReadAll(`SELECT code, ${cols} FROM ${this.dim.table} ORDER BY code`)
    ).getRowsJS();
    this.stored = this.dim.members.map(() => [null]);
    this.byFirst = new Map();
    this.next = 1;
    for (const r of rows) {
      const code = Number(r[0]);
      if (code !== this.next) {
        throw new Error(
          `${this.dim.table}: codes are not 1…n in order (found ${code}, expected ${this.next})`,
        );
      }
      this.add(
        this.dim.members.map((m, k) => {
          const v = r[k + 1];
          if (memberKind(m) === 'num') return v === null ? Number.NaN : Number(v);
          return v === null ? null : String(v);
        }),
      );
    }
  }

  /** The code of tuple t of a batch's values, or undefined. */
  private find(values: DimValues, t: number): number | undefined {
    const candidates = this.byFirst.get(memberAt(values, 0, t));
    if (!candidates) return undefined;
    for (const code of candidates) {
      let same = true;
      for (let m = 1; m < values.length && same; m++) {
        same = sameValue(this.stored[m]![code] ?? null, memberAt(values, m, t));
      }
      if (same) return code;
    }
    return undefined;
  }

  /** Gives a tuple the next code. */
  private add(tuple: readonly MemberValue[]): number {
    const code = this.next++;
    tuple.forEach((v, m) => {
      this.stored[m]![code] = v;
    });
    const first = tuple[0] ?? null;
    const list = this.byFirst.get(first);
    if (list) list.push(code);
    else this.byFirst.set(first, [code]);
    return code;
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
   * the store does not have yet to the side table (inside the open transaction). `mapped`
   * holds the batch's maps already made: both sides of a place or an AS arrive with one
   * values object (posting keeps shared objects shared), so its tuples are looked up once.
   */
  async resolve(
    con: DuckDBConnection,
    col: EncodedColumn,
    mapped: Map<DimValues, Uint32Array>,
  ): Promise<void> {
    const values = col.dimValues!;
    let map = mapped.get(values);
    if (!map) {
      const count = values[0]!.length;
      map = new Uint32Array(count);
      const fresh: number[] = [];
      for (let t = 1; t < count; t++) {
        let code = this.find(values, t);
        if (code === undefined) {
          code = this.add(values.map((_, m) => memberAt(values, m, t)));
          fresh.push(t);
        }
        map[t] = code;
      }
      if (fresh.length > 0) await this.insert(con, values, fresh, map);
      mapped.set(values, map);
    }
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
          else if (m.type === 'BIGINT') appender.appendBigInt(BigInt(Math.trunc(Number(v))));
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
