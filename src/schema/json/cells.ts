import type { Column, ListColumn, StrColumn } from '../../batch/flow-batch.js';
import { JsonBytes, keyBytes } from './bytes.js';

/**
 * The JSON text of a dictionary column's values, each made once per code per batch: `prefix`
 * (a key, or any constant) then the value as a JSON string. Made when a code is first written,
 * so a batch that writes few of a column's values encodes few. Columns whose values came as
 * fixed-width ASCII (record ids, Community IDs) are copied from those bytes when none needs
 * escaping.
 */
export class StrFragments {
  /** Each code's fragment, made on first use (a view into one arena per batch). */
  private readonly made: (Uint8Array | undefined)[];
  private arena: Buffer;
  private used = 0;
  private readonly fixed: Uint8Array | undefined;
  private readonly width: number;

  constructor(
    readonly column: StrColumn,
    private readonly prefix: Uint8Array,
    /** What code 0 (null) writes after the prefix, or none (a caller that skips nulls). */
    nullText?: string,
  ) {
    const fixed = column.fixedText;
    this.width = fixed?.width ?? 0;
    this.fixed = fixed && plainAscii(fixed.bytes) ? fixed.bytes : undefined;
    this.made = this.fixed ? [] : new Array(column.dict.length);
    this.arena = Buffer.allocUnsafe(Math.min(column.dict.length, 1024) * (prefix.length + 24) + 64);
    if (nullText !== undefined) this.made[0] = this.put(nullText);
  }

  /** Writes the fragment of `code` (code 0 only when a null text was given). */
  write(out: JsonBytes, code: number): void {
    const fixed = this.fixed;
    if (fixed !== undefined && code !== 0) {
      out.frag(this.prefix);
      out.byte(0x22);
      out.bytes(fixed, (code - 1) * this.width, code * this.width);
      out.byte(0x22);
      return;
    }
    let f = this.made[code];
    if (f === undefined) {
      f = this.put(JSON.stringify(this.column.dict[code]));
      this.made[code] = f;
    }
    out.frag(f);
  }

  private put(json: string): Uint8Array {
    const most = this.prefix.length + json.length * 3;
    if (this.used + most > this.arena.length) {
      // earlier fragments keep their views of the old arena
      this.arena = Buffer.allocUnsafe(Math.max(this.arena.length, most + 1024));
      this.used = 0;
    }
    const start = this.used;
    this.arena.set(this.prefix, start);
    let end = start + this.prefix.length;
    end += this.arena.write(json, end, 'utf8');
    this.used = end;
    // a plain view: cheaper to make than a Buffer's subarray
    return new Uint8Array(this.arena.buffer, this.arena.byteOffset + start, end - start);
  }
}

/** True when the bytes are printable ASCII without `"` or `\`: JSON text as they are. */
function plainAscii(bytes: Uint8Array): boolean {
  for (let k = 0; k < bytes.length; k++) {
    const b = bytes[k]!;
    if (b < 0x20 || b > 0x7e || b === 0x22 || b === 0x5c) return false;
  }
  return true;
}

/**
 * The JSON arrays of a list column, each made once per distinct list: list values repeat by
 * identity (one array per distinct TCP flag set), so a row costs a map lookup and a copy.
 */
export class ListFragments {
  private readonly made = new Map<readonly string[], Buffer>();

  constructor(readonly column: ListColumn) {}

  /** Row i's list as a JSON array; false for a null row (nothing written). */
  write(out: JsonBytes, i: number): boolean {
    const list = this.column.values[i];
    if (list === null || list === undefined) return false;
    let bytes = this.made.get(list);
    if (bytes === undefined) {
      bytes = Buffer.from(JSON.stringify(list), 'utf8');
      this.made.set(list, bytes);
    }
    out.frag(bytes);
    return true;
  }
}

/**
 * Writes row i of any column as an object member under a fixed key, as `JSON.stringify` writes
 * the cell (`cellAt`): nulls are left out, or written as `null` when `keepNull`.
 */
export type CellMember = (out: JsonBytes, i: number) => void;

export function cellMember(key: string, column: Column, keepNull: boolean): CellMember {
  const k = keyBytes(key);
  if (column.kind === 'num') {
    const values = column.values;
    const spread = column.spread;
    if (spread !== undefined) {
      // values per distinct address spread over the rows: each one's text made once
      const ids = spread.rowIds;
      const made: (Uint8Array | null | undefined)[] = [];
      const scratch = new JsonBytes(32);
      return (out, i) => {
        const id = ids[i]!;
        let f = made[id];
        if (f === undefined) {
          const v = values[i]!;
          if (Number.isNaN(v)) f = null;
          else {
            scratch.reset();
            scratch.num(v);
            f = scratch.take();
          }
          made[id] = f;
        }
        if (f === null) {
          if (!keepNull) return;
          out.member(k);
          out.ascii('null');
          return;
        }
        out.member(k);
        out.frag(f);
      };
    }
    return (out, i) => {
      const v = values[i]!;
      if (Number.isNaN(v)) {
        if (!keepNull) return;
        out.member(k);
        out.ascii('null');
        return;
      }
      out.member(k);
      out.num(v);
    };
  }
  if (column.kind === 'str') {
    const codes = column.codes;
    const f = new StrFragments(column, k, keepNull ? 'null' : undefined);
    return (out, i) => {
      const code = codes[i]!;
      if (code === 0 && !keepNull) return;
      out.comma();
      f.write(out, code);
    };
  }
  const lists = new ListFragments(column);
  return (out, i) => {
    const mark = out.pos;
    const first = out.first;
    out.member(k);
    if (lists.write(out, i)) return;
    if (keepNull) {
      out.ascii('null');
      return;
    }
    out.pos = mark;
    out.first = first;
  };
}

/** The number text of a number column's value as a JSON string (`"443"`), as `String(v)` gives it. */
export function numTextMember(key: string, values: Float64Array): CellMember {
  const k = keyBytes(key);
  return (out, i) => {
    const v = values[i]!;
    if (Number.isNaN(v)) return;
    out.member(k);
    out.byte(0x22);
    if (Number.isFinite(v)) out.num(v);
    else out.ascii(String(v));
    out.byte(0x22);
  };
}

/**
 * Keys in the order a JavaScript object lists them after assigning them in this order: a key
 * assigned again keeps its first place (the last value wins), and keys that are array indices
 * ("0", "17") come first, ascending.
 */
export function objectOrder<T>(entries: readonly (readonly [string, T])[]): [string, T][] {
  const byKey = new Map<string, T>();
  for (const [k, v] of entries) byKey.set(k, v);
  const all = [...byKey];
  const index = (k: string): number => (/^(0|[1-9]\d*)$/.test(k) && Number(k) < 4294967295 ? Number(k) : -1);
  const indices = all.filter(([k]) => index(k) >= 0).sort(([a], [b]) => index(a) - index(b));
  return [...indices, ...all.filter(([k]) => index(k) < 0)];
}

/** An object member holding `members`, left out when none of them writes anything for the row. */
export function objectMember(key: string, members: readonly CellMember[]): CellMember {
  const k = keyBytes(key);
  return (out, i) => {
    const mark = out.open(k);
    for (let m = 0; m < members.length; m++) members[m]!(out, i);
    out.close(mark);
  };
}

/** Nested members by dotted path, in the order their first path was given. */
export type PathTree = Map<string, Column | PathTree>;

/**
 * Columns placed at dotted paths (`source.geo.city_name`), as a document that sets the paths in
 * this order nests them. Members written from it keep that order only where the paths of one
 * object are given together (the schemas' tables are written so).
 */
export function pathTree(entries: readonly (readonly [path: string, column: Column])[]): PathTree {
  const root: PathTree = new Map();
  for (const [path, column] of entries) {
    const parts = path.split('.');
    let node = root;
    for (let k = 0; k < parts.length - 1; k++) {
      let next = node.get(parts[k]!);
      if (next === undefined || !(next instanceof Map)) {
        next = new Map();
        node.set(parts[k]!, next);
      }
      node = next;
    }
    node.set(parts[parts.length - 1]!, column);
  }
  return root;
}

/** The members of one object of a path tree (nulls left out, empty objects too). */
export function treeMembers(tree: PathTree | undefined): CellMember[] {
  if (tree === undefined) return [];
  return [...tree].map(([key, node]) =>
    node instanceof Map ? objectMember(key, treeMembers(node)) : cellMember(key, node, false),
  );
}
