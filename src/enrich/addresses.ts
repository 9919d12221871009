import { type Column, type FlowBatch, strAt } from '../batch/flow-batch.js';

/**
 * The original endpoints of every row of a batch, as ids into one table of the batch's distinct
 * addresses. The original source is pkt-srcaddr when present, else srcaddr (likewise for the
 * destination), so NAT gateways and secondary IPs resolve to the real hosts. Enrichers compute
 * whatever they need once per distinct address and index it by these ids.
 */
export interface AddressTable {
  /** Distinct addresses; values[0] is an unused placeholder (id 0 = no address). */
  readonly values: readonly string[];
  readonly srcIds: Uint32Array;
  readonly dstIds: Uint32Array;
}

const tables = new WeakMap<FlowBatch, AddressTable>();

/** The address table of a batch, built once and shared by every enricher that needs it. */
export function addressTable(batch: FlowBatch): AddressTable {
  let t = tables.get(batch);
  if (!t) {
    t = buildTable(batch);
    tables.set(batch, t);
  }
  return t;
}

function buildTable(batch: FlowBatch): AddressTable {
  const values: string[] = [''];
  const ids = new Map<string, number>();
  const intern = (s: string): number => {
    let id = ids.get(s);
    if (id === undefined) {
      id = values.length;
      values.push(s);
      ids.set(s, id);
    }
    return id;
  };
  const srcIds = new Uint32Array(batch.length);
  const dstIds = new Uint32Array(batch.length);
  fillSide(batch, batch.column('pkt_srcaddr'), batch.column('srcaddr'), srcIds, intern);
  fillSide(batch, batch.column('pkt_dstaddr'), batch.column('dstaddr'), dstIds, intern);
  return { values, srcIds, dstIds };
}

/** Maps one column's dictionary codes to table ids lazily: each distinct value is interned once. */
function codeMapper(col: Column | undefined, intern: (s: string) => number): ((i: number) => number) | null {
  if (!col) return null;
  if (col.kind !== 'str') {
    return (i) => {
      const s = strAt(col, i);
      return s === null || s === '-' ? 0 : intern(s);
    };
  }
  const cache = new Int32Array(col.dict.length).fill(-1);
  const { codes, dict } = col;
  return (i) => {
    const code = codes[i]!;
    if (code === 0) return 0;
    let id = cache[code]!;
    if (id < 0) {
      const s = dict[code]!;
      id = s === '-' || s === '' ? 0 : intern(s);
      cache[code] = id;
    }
    return id;
  };
}

function fillSide(
  batch: FlowBatch,
  pkt: Column | undefined,
  base: Column | undefined,
  out: Uint32Array,
  intern: (s: string) => number,
): void {
  const fromPkt = codeMapper(pkt, intern);
  const fromBase = codeMapper(base, intern);
  for (let i = 0; i < batch.length; i++) {
    let id = fromPkt ? fromPkt(i) : 0;
    if (id === 0 && fromBase) id = fromBase(i);
    out[i] = id;
  }
}
