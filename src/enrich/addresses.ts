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
    if (s === '-' || s === '') return 0;
    let id = ids.get(s);
    if (id === undefined) {
      id = values.length;
      values.push(s);
      ids.set(s, id);
    }
    return id;
  };
  const n = batch.length;
  const srcIds = new Uint32Array(n);
  const dstIds = new Uint32Array(n);
  fillSide(n, batch.column('pkt_srcaddr'), batch.column('srcaddr'), srcIds, intern);
  fillSide(n, batch.column('pkt_dstaddr'), batch.column('dstaddr'), dstIds, intern);
  return { values, srcIds, dstIds };
}

/** A string column's codes, with a table from its codes to address ids filled as codes are met. */
interface CodeIds {
  readonly codes: Uint32Array;
  readonly dict: readonly string[];
  /** Address id by code; -1 until the code is first met. */
  readonly ids: Int32Array;
}

function codeIds(col: Column | undefined): CodeIds | null {
  if (col?.kind !== 'str') return null;
  return { codes: col.codes, dict: col.dict, ids: new Int32Array(col.dict.length).fill(-1) };
}

/**
 * One side's ids: the packet address when the row has one, else the interface address. Ids are
 * given in row order (each distinct value interned once); string columns, the decoders' case,
 * take a typed-array loop with one array lookup per row.
 */
function fillSide(
  n: number,
  pkt: Column | undefined,
  base: Column | undefined,
  out: Uint32Array,
  intern: (s: string) => number,
): void {
  const p = codeIds(pkt);
  const b = codeIds(base);
  if ((pkt && !p) || (base && !b)) {
    // A column of another kind (never from the decoders): the general path.
    for (let i = 0; i < n; i++) {
      const fromPkt = strAt(pkt, i);
      let id = fromPkt === null ? 0 : intern(fromPkt);
      if (id === 0) {
        const fromBase = strAt(base, i);
        id = fromBase === null ? 0 : intern(fromBase);
      }
      out[i] = id;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    let id = p ? idAt(p, i, intern) : 0;
    if (id === 0 && b) id = idAt(b, i, intern);
    out[i] = id;
  }
}

function idAt(c: CodeIds, i: number, intern: (s: string) => number): number {
  const code = c.codes[i]!;
  if (code === 0) return 0;
  let id = c.ids[code]!;
  if (id < 0) {
    id = intern(c.dict[code]!);
    c.ids[code] = id;
  }
  return id;
}
