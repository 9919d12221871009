import { textValue } from '../distinct.js';
import type { BatchView } from '../view.js';

/** A key part's value of one row: a reference to the batch's string, or a number. */
export type KeyValue = string | number;

/**
 * One part of a grouping key. A part gives every row of a batch a code, computed once per batch
 * for all the rules that group by it, that is equal for equal values across batches as long as
 * the part's `epoch` stays the same; so a rule finds a row's group with one numeric lookup, keeps
 * the value of a group it has not met yet, and makes text only of the groups that fire.
 */
export interface KeyPart {
  readonly name: string;
  /** Bits a code needs; parts whose bits add up to 53 or less make one numeric key (below 2^53). */
  readonly bits: number;
  /** Per-row codes of the batch (shared through the view by every rule using the part). */
  codes(v: BatchView): Uint32Array | Float64Array;
  /** Changes when codes of earlier batches may stand for other values now. */
  epoch(v: BatchView): number;
  /** Row i's value, without copying or formatting it. */
  value(v: BatchView, i: number): KeyValue;
  /** A value as the alert's key shows it ('-' for none). */
  text(value: KeyValue): string;
}

/**
 * A value counted distinctly (a port, an address) as a number stable across batches: `values`
 * writes the value of each row `rows[0..m)` names into `out[0..m)`.
 */
export interface DistinctPart {
  readonly name: string;
  values(v: BatchView, rows: Uint32Array, m: number, out: Float64Array): void;
}

/** Address book entries stay below 2^17 plus two batches of new addresses (≤ 2^21 rows). */
const ADDRESS_BITS = 22;
/**
 * Interned texts stay below INTERN_LIMIT plus one batch's dictionary (≤ 2^20 + 1 entries): their
 * codes are below 2^21, so an interface and an AS number (32 bits) make one numeric key.
 */
const DICT_BITS = 21;
const INTERN_LIMIT = 1 << 16;

/**
 * Stable numbers for the texts of one string column: dictionary codes are per batch, these hold
 * across batches. Bounded: past INTERN_LIMIT texts it starts over (only before a batch is coded,
 * so one batch's codes are of one epoch) and bumps `epoch`.
 */
class Interner {
  epoch = 0;
  private readonly ids = new Map<string, number>();

  /** Stable code per dictionary code of `dict` (0 stays 0: no value). */
  remap(dict: readonly string[]): Uint32Array {
    if (this.ids.size >= INTERN_LIMIT) {
      this.ids.clear();
      this.epoch++;
    }
    const out = new Uint32Array(dict.length);
    for (let c = 1; c < dict.length; c++) {
      const s = dict[c]!;
      let id = this.ids.get(s);
      if (id === undefined) {
        id = this.ids.size + 1;
        this.ids.set(s, id);
      }
      out[c] = id;
    }
    return out;
  }
}

/** Per-thread interners by column name (the texts of a column mean the same to every rule). */
const interners = new Map<string, Interner>();

function internerOf(column: string): Interner {
  let it = interners.get(column);
  if (!it) {
    it = new Interner();
    interners.set(column, it);
  }
  return it;
}

/**
 * Stable per-row codes of a string column (0 where the row has none) and the interner's epoch
 * they belong to, made once per batch.
 */
export function stableStrings(v: BatchView, column: string): { codes: Uint32Array; epoch: number } {
  return v.memo(`str:${column}`, () => {
    const col = v.str(column);
    const it = internerOf(column);
    const codes = new Uint32Array(v.n);
    if (col !== null) {
      const remap = it.remap(col.dict);
      const c = col.codes;
      for (let i = 0; i < v.n; i++) codes[i] = remap[c[i]!]!;
    }
    return { codes, epoch: it.epoch };
  });
}

/** A number as a key shows it: '-' for none. */
export function numberText(value: KeyValue): string {
  return typeof value === 'number' && Number.isNaN(value) ? '-' : String(value);
}

function addressPart(name: 'src' | 'dst'): KeyPart {
  const ids = name === 'src' ? (v: BatchView) => v.srcId : (v: BatchView) => v.dstId;
  return {
    name,
    bits: ADDRESS_BITS,
    codes: (v) =>
      v.memo(`entry:${name}`, () => {
        const id = ids(v);
        const entries = v.table.entries;
        const out = new Uint32Array(v.n);
        for (let i = 0; i < v.n; i++) {
          const d = id[i]!;
          out[i] = d === 0 ? 0 : entries[d]!;
        }
        return out;
      }),
    epoch: (v) => v.table.epoch,
    value: (v, i) => v.table.values[ids(v)[i]!] ?? '',
    text: (value) => (value === '' ? '-' : String(value)),
  };
}

export const SRC = addressPart('src');
export const DST = addressPart('dst');

function portPart(name: 'dstport' | 'srcport'): KeyPart {
  const pick = name === 'dstport' ? (v: BatchView) => v.dport : (v: BatchView) => v.sport;
  return {
    name,
    bits: 17,
    codes: name === 'dstport' ? (v) => v.dportCode : (v) => v.sportCode,
    epoch: () => 0,
    value: (v, i) => pick(v)[i]!,
    text: numberText,
  };
}

export const DSTPORT = portPart('dstport');
export const SRCPORT = portPart('srcport');

export const PROTOCOL: KeyPart = {
  name: 'protocol',
  bits: 9,
  codes: (v) => v.protoCode,
  epoch: () => 0,
  value: (v, i) => v.proto[i]!,
  text: numberText,
};

/** A string column of the batch (record field or enrichment) as a key part. */
export function stringPart(name: string, column = name): KeyPart {
  return {
    name,
    bits: DICT_BITS,
    codes: (v) => stableStrings(v, column).codes,
    epoch: (v) => stableStrings(v, column).epoch,
    value: (v, i) => {
      const col = v.str(column);
      return col === null ? '' : (col.dict[col.codes[i]!] ?? '');
    },
    text: (value) => (value === '' ? '-' : String(value)),
  };
}

export const INTERFACE = stringPart('interface', 'interface_id');

/**
 * Any column named by a user rule's group_by as a key part: a number column (`dst_asn`, a numeric
 * field) by its value, a string column by its interned text; codes take up to 53 bits.
 */
export function columnPart(name: string): KeyPart {
  const numbers = (v: BatchView): Float64Array | null => {
    const col = v.batch.column(name);
    return col && col.kind === 'num' ? col.values : null;
  };
  const texts = stringPart(name);
  return {
    name,
    bits: 53,
    codes: (v) =>
      v.memo(`num:${name}`, () => {
        const x = numbers(v);
        if (x === null) return texts.codes(v);
        const out = new Float64Array(v.n).fill(-1);
        for (let i = 0; i < v.n; i++) if (!Number.isNaN(x[i]!)) out[i] = x[i]!;
        return out;
      }),
    epoch: (v) => (numbers(v) === null ? texts.epoch(v) : 0),
    value: (v, i) => {
      const x = numbers(v);
      return x === null ? texts.value(v, i) : x[i]!;
    },
    text: (value) => (typeof value === 'number' ? numberText(value) : texts.text(value)),
  };
}

export const DISTINCT_DSTPORT: DistinctPart = {
  name: 'dstport',
  values: (v, rows, m, out) => {
    const port = v.dportCode;
    for (let k = 0; k < m; k++) out[k] = port[rows[k]!]!;
  },
};

/** Per address id of the batch: IPv4 addresses as their number, others as the hash of their text. */
function addressValues(v: BatchView): Float64Array {
  return v.memo('address-values', () => {
    const t = v.table;
    const out = new Float64Array(t.values.length);
    for (let id = 1; id < out.length; id++)
      out[id] = t.family[id] === 4 ? t.words[4 * id]! : textValue(t.values[id] ?? '');
    out[0] = textValue('');
    return out;
  });
}

function distinctAddress(name: 'src' | 'dst'): DistinctPart {
  return {
    name,
    values: (v, rows, m, out) => {
      const ids = name === 'src' ? v.srcId : v.dstId;
      const value = addressValues(v);
      for (let k = 0; k < m; k++) out[k] = value[ids[rows[k]!]!]!;
    },
  };
}

export const DISTINCT_DST = distinctAddress('dst');
export const DISTINCT_SRC = distinctAddress('src');

/** A distinct count over any string or number column. */
export function distinctColumn(name: string): DistinctPart {
  return {
    name,
    values: (v, rows, m, out) => {
      const col = v.batch.column(name);
      if (col?.kind === 'num') {
        for (let k = 0; k < m; k++) out[k] = col.values[rows[k]!]!;
      } else if (col?.kind === 'str') {
        // one hash per dictionary entry, not per row
        const byCode = v.memo(`text-values:${name}`, () =>
          col.dict.map((s, c) => (c === 0 ? 0 : textValue(s))),
        );
        for (let k = 0; k < m; k++) out[k] = byCode[col.codes[rows[k]!]!]!;
      } else {
        out.fill(0, 0, m);
      }
    },
  };
}
