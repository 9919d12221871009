import {
  type Column,
  type FlowBatch,
  type StrColumn,
  StrColumnBuilder,
  strAt,
} from '../../batch/flow-batch.js';
import type { JsonBytes } from './bytes.js';
import { StrFragments } from './cells.js';

/**
 * A column read as text (`strAt`) in dictionary form: a dictionary column as it is; a number or
 * list column (a layout that gives a text field as numbers) turned into one for the batch.
 */
export function textColumn(batch: FlowBatch, name: string): StrColumn | undefined {
  const col = batch.column(name);
  return col === undefined ? undefined : asText(col, batch.length);
}

export function asText(col: Column, length: number): StrColumn {
  if (col.kind === 'str') return col;
  const b = new StrColumnBuilder(length);
  for (let i = 0; i < length; i++) b.set(i, strAt(col, i));
  return b.build(length);
}

/** A column read as a number (`numAt`): its values when it is a number column, else none (always null). */
export function numberColumn(batch: FlowBatch, name: string): Float64Array | undefined {
  const col = batch.column(name);
  return col?.kind === 'num' ? col.values : undefined;
}

/** `fn` of each dictionary value (index 0, null, gets `ifNull`), for per-row lookups by code. */
export function perCode<T>(col: StrColumn, fn: (value: string) => T, ifNull: T): T[] {
  const out: T[] = new Array(col.dict.length);
  out[0] = ifNull;
  for (let c = 1; c < col.dict.length; c++) out[c] = fn(col.dict[c]!);
  return out;
}

/** One endpoint's address: the packet-level column where its row has a value, else the interface's. */
export class Endpoint {
  readonly pkt: StrColumn | undefined;
  readonly addr: StrColumn | undefined;

  constructor(batch: FlowBatch, pkt: string, addr: string) {
    this.pkt = textColumn(batch, pkt);
    this.addr = textColumn(batch, addr);
  }

  /** The column row i's address comes from, or undefined when it has none. */
  at(i: number): StrColumn | undefined {
    if (this.pkt !== undefined && this.pkt.codes[i] !== 0) return this.pkt;
    if (this.addr !== undefined && this.addr.codes[i] !== 0) return this.addr;
    return undefined;
  }
}

/** Fragments of one prefix for whichever column a value comes from. */
export class EitherFragments {
  // a few columns (an endpoint's two, or both endpoints'): found by identity, cheaper than a Map
  private readonly columns: StrColumn[] = [];
  private readonly made: StrFragments[] = [];
  constructor(private readonly prefix: Buffer) {}
  write(out: JsonBytes, col: StrColumn, code: number): void {
    const columns = this.columns;
    for (let k = 0; k < columns.length; k++) {
      if (columns[k] === col) {
        this.made[k]!.write(out, code);
        return;
      }
    }
    const f = new StrFragments(col, this.prefix);
    columns.push(col);
    this.made.push(f);
    f.write(out, code);
  }
}
