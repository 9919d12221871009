import { textValue } from '../distinct.js';
import type { BatchView } from '../view.js';

/**
 * One part of a grouping key. Within a batch a part is a small number (an address id, a port,
 * a dictionary code), so a rule finds a row's group with a numeric lookup and builds the key's
 * text only once per group and batch.
 */
export interface KeyPart {
  readonly name: string;
  /** Bits the per-batch code needs; parts whose bits add up to 52 or less make one numeric key. */
  readonly bits: number;
  code(v: BatchView, i: number): number;
  text(v: BatchView, code: number): string;
}

/** A value counted distinctly (a port, an address) as a number stable across batches. */
export interface DistinctPart {
  readonly name: string;
  value(v: BatchView, i: number): number;
}

const ADDRESS_BITS = 22;
const DICT_BITS = 22;

function portText(code: number): string {
  return code === 65536 ? '-' : String(code);
}

export const SRC: KeyPart = {
  name: 'src',
  bits: ADDRESS_BITS,
  code: (v, i) => v.srcId[i]!,
  text: (v, code) => v.table.values[code] || '-',
};

export const DST: KeyPart = {
  name: 'dst',
  bits: ADDRESS_BITS,
  code: (v, i) => v.dstId[i]!,
  text: (v, code) => v.table.values[code] || '-',
};

function portPart(name: 'dstport' | 'srcport'): KeyPart {
  const pick = name === 'dstport' ? (v: BatchView) => v.dport : (v: BatchView) => v.sport;
  return {
    name,
    bits: 17,
    code: (v, i) => {
      const p = pick(v)[i]!;
      return Number.isNaN(p) ? 65536 : p;
    },
    text: (_v, code) => portText(code),
  };
}

export const DSTPORT = portPart('dstport');
export const SRCPORT = portPart('srcport');

export const PROTOCOL: KeyPart = {
  name: 'protocol',
  bits: 9,
  code: (v, i) => {
    const p = v.proto[i]!;
    return Number.isNaN(p) ? 256 : p;
  },
  text: (_v, code) => (code === 256 ? '-' : String(code)),
};

/** A string column of the batch (record field or enrichment) as a key part. */
export function stringPart(name: string, column = name): KeyPart {
  return {
    name,
    bits: DICT_BITS,
    code: (v, i) => v.str(column)?.codes[i] ?? 0,
    text: (v, code) => (code === 0 ? '-' : (v.str(column)?.dict[code] ?? '-')),
  };
}

export const INTERFACE = stringPart('interface', 'interface_id');

/** A number column (any field) as a key part: its text is the number. */
export function numberPart(name: string, column = name): KeyPart {
  return {
    name,
    bits: 53,
    code: (v, i) => {
      const col = v.batch.column(column);
      const x = col && col.kind === 'num' ? col.values[i]! : Number.NaN;
      return Number.isNaN(x) ? -1 : x;
    },
    text: (_v, code) => (code === -1 ? '-' : String(code)),
  };
}

export const DISTINCT_DSTPORT: DistinctPart = {
  name: 'dstport',
  value: (v, i) => {
    const p = v.dport[i]!;
    return Number.isNaN(p) ? 65536 : p;
  },
};

function addressValue(v: BatchView, id: number): number {
  if (v.table.family[id] === 4) return v.table.words[4 * id]!;
  return textValue(v.table.values[id] ?? '');
}

export const DISTINCT_DST: DistinctPart = { name: 'dst', value: (v, i) => addressValue(v, v.dstId[i]!) };
export const DISTINCT_SRC: DistinctPart = { name: 'src', value: (v, i) => addressValue(v, v.srcId[i]!) };

/** A distinct count over any string or number column. */
export function distinctColumn(name: string): DistinctPart {
  return {
    name,
    value: (v, i) => {
      const col = v.batch.column(name);
      if (!col) return 0;
      if (col.kind === 'num') return col.values[i]!;
      if (col.kind === 'str') return col.codes[i] === 0 ? 0 : textValue(col.dict[col.codes[i]!]!);
      return 0;
    },
  };
}
