import { WasmMemory, wasmInstance } from '../wasm/modules.js';
import type { AddressTable } from './addresses.js';

/**
 * Spreading per-address values over a batch's rows (row i gets the value of its source's and
 * its destination's address id), by the WebAssembly row spreader (asm/row-spread.ts) when it
 * is there, else by JavaScript loops that give the same values. The WebAssembly loops are
 * compiled before the first batch; the JavaScript ones run interpreted for the first batches.
 *
 * Each output column is copied out to an array of its own (64 KB or less for a batch of 8192
 * rows), below the 128 KB above which the C allocator maps fresh pages for an allocation.
 */

/** Row i of srcOut/dstOut gets values[src[i]]/values[dst[i]] (64- or 32-bit values). */
type SpreadFn = (n: number, src: number, dst: number, values: number, srcOut: number, dstOut: number) => void;

interface SpreadExports {
  readonly memory: WebAssembly.Memory;
  readonly spread64: SpreadFn;
  readonly spread32: SpreadFn;
  readonly codesOfNumbers: (n: number, values: number, codes: number, out: number) => void;
  readonly spreadClasses: (
    n: number,
    src: number,
    dst: number,
    classes: number,
    pairs: number,
    srcOut: number,
    dstOut: number,
    pairOut: number,
  ) => void;
}

/** Per-address columns to spread: numbers (f64) and codes (u32). */
export interface PerAddress {
  readonly numbers: readonly Float64Array[];
  readonly codes: readonly Uint32Array[];
}

/** The spread columns: for each per-address array k, its source column then its destination column. */
export interface Spread {
  readonly numbers: Float64Array[];
  readonly codes: Uint32Array[];
}

/** The pair codes table takes any two u8 classes (codes past 256 are 0, as a missing entry is in JavaScript). */
const PAIRS_BYTES = 4096;

const align = (x: number): number => (x + 15) & ~15;

export class RowSpread {
  private readonly mem: WasmMemory | null;
  private readonly kernel: SpreadExports | null;
  /** The table and row count whose ids are in memory (at 0 and 4n). */
  private idsOf: AddressTable | null = null;
  private idsRows = 0;

  /**
   * A spreader on its own instance of the WebAssembly module, or on JavaScript loops when
   * WebAssembly is off (FLOWLENS_WASM=0) or the module is not built.
   */
  constructor() {
    this.kernel = wasmInstance<SpreadExports>('row-spread');
    this.mem = this.kernel ? new WasmMemory(this.kernel.memory) : null;
  }

  /** Each per-address array of `of` spread over the table's rows (see Spread). */
  spread(table: AddressTable, of: PerAddress, n: number): Spread {
    const kernel = this.kernel;
    if (kernel) return this.spreadWasm(kernel, this.mem!, table, of, n);
    const out: Spread = { numbers: [], codes: [] };
    for (let k = 0; k < of.numbers.length; k++) out.numbers.push(new Float64Array(n), new Float64Array(n));
    for (let k = 0; k < of.codes.length; k++) out.codes.push(new Uint32Array(n), new Uint32Array(n));
    spreadJs(table, of, n, out);
    return out;
  }

  /**
   * Network classes: the source's and the destination's class (`classes` by id) and
   * `pairs[src class * 16 + dst class]`, each a u32 column, in one buffer (96 KB for 8192 rows).
   */
  classes(
    table: AddressTable,
    classes: Uint8Array,
    pairs: Uint8Array,
    n: number,
  ): [Uint32Array, Uint32Array, Uint32Array] {
    const kernel = this.kernel;
    let buffer: ArrayBuffer;
    if (kernel) {
      const m = this.mem!;
      const classesAt = this.useIds(m, table, n);
      const pairsAt = align(classesAt + classes.length);
      const outAt = align(pairsAt + PAIRS_BYTES);
      m.reserve(outAt + 12 * n);
      m.bytes.set(classes, classesAt);
      m.bytes.fill(0, pairsAt, pairsAt + PAIRS_BYTES);
      m.bytes.set(pairs.subarray(0, PAIRS_BYTES), pairsAt);
      kernel.spreadClasses(n, 0, 4 * n, classesAt, pairsAt, outAt, outAt + 4 * n, outAt + 8 * n);
      buffer = m.bytes.buffer.slice(outAt, outAt + 12 * n) as ArrayBuffer;
    } else buffer = new ArrayBuffer(12 * n);
    const src = new Uint32Array(buffer, 0, n);
    const dst = new Uint32Array(buffer, 4 * n, n);
    const pair = new Uint32Array(buffer, 8 * n, n);
    if (!kernel) {
      const { srcIds, dstIds } = table;
      for (let i = 0; i < n; i++) {
        const s = classes[srcIds[i]!]!;
        const d = classes[dstIds[i]!]!;
        src[i] = s;
        dst[i] = d;
        pair[i] = pairs[(s << 4) | d] ?? 0;
      }
    }
    return [src, dst, pair];
  }

  /**
   * A code per row of a number column: `codes[v]` for a whole number v from 0 to 255 (256
   * codes), else 0 (NaN, fractions, out of range).
   */
  codesOfNumbers(values: Float64Array, codes: Uint32Array, n: number): Uint32Array {
    const kernel = this.kernel;
    if (kernel) {
      const m = this.mem!;
      const codesAt = 0;
      const valuesAt = 1024;
      const outAt = align(valuesAt + 8 * n);
      m.reserve(outAt + 4 * n);
      m.u32.set(codes.subarray(0, 256), codesAt >> 2);
      m.f64.set(values.subarray(0, n), valuesAt >> 3);
      // the ids kept for spreading are overwritten
      this.idsOf = null;
      kernel.codesOfNumbers(n, valuesAt, codesAt, outAt);
      return m.u32.slice(outAt >> 2, (outAt >> 2) + n);
    }
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      // NaN and out-of-range values fail the range test and stay 0
      if (v >= 0 && v <= 255 && (v | 0) === v) out[i] = codes[v]!;
    }
    return out;
  }

  /** The spread columns computed in the module's memory, each copied out to an array of its own. */
  private spreadWasm(
    kernel: SpreadExports,
    m: WasmMemory,
    table: AddressTable,
    of: PerAddress,
    n: number,
  ): Spread {
    let at = this.useIds(m, table, n);
    // the per-address arrays, then the output columns
    const ids = table.values.length;
    const numbersAt: number[] = [];
    const codesAt: number[] = [];
    for (let k = 0; k < of.numbers.length; k++, at = align(at + 8 * ids)) numbersAt.push(at);
    for (let k = 0; k < of.codes.length; k++, at = align(at + 4 * ids)) codesAt.push(at);
    const outAt = at;
    m.reserve(outAt + n * (16 * of.numbers.length + 8 * of.codes.length));
    for (let k = 0; k < of.numbers.length; k++)
      m.f64.set(of.numbers[k]!.subarray(0, ids), numbersAt[k]! >> 3);
    for (let k = 0; k < of.codes.length; k++) m.u32.set(of.codes[k]!.subarray(0, ids), codesAt[k]! >> 2);
    const out: Spread = { numbers: [], codes: [] };
    let o = outAt;
    for (let k = 0; k < of.numbers.length; k++, o += 16 * n) {
      kernel.spread64(n, 0, 4 * n, numbersAt[k]!, o, o + 8 * n);
      out.numbers.push(m.f64.slice(o >> 3, (o >> 3) + n), m.f64.slice((o >> 3) + n, (o >> 3) + 2 * n));
    }
    for (let k = 0; k < of.codes.length; k++, o += 8 * n) {
      kernel.spread32(n, 0, 4 * n, codesAt[k]!, o, o + 4 * n);
      out.codes.push(m.u32.slice(o >> 2, (o >> 2) + n), m.u32.slice((o >> 2) + n, (o >> 2) + 2 * n));
    }
    return out;
  }

  /** Copies the table's row ids to 0 (sources) and 4n (destinations) unless they are there; returns where free memory starts. */
  private useIds(m: WasmMemory, table: AddressTable, n: number): number {
    const end = align(8 * n);
    if (this.idsOf !== table || this.idsRows !== n) {
      m.reserve(end);
      m.u32.set(table.srcIds.subarray(0, n), 0);
      m.u32.set(table.dstIds.subarray(0, n), n);
      this.idsOf = table;
      this.idsRows = n;
    }
    return end;
  }
}

function spreadJs(table: AddressTable, of: PerAddress, n: number, out: Spread): void {
  const { srcIds, dstIds } = table;
  for (let k = 0; k < of.numbers.length; k++) {
    const values = of.numbers[k]!;
    const src = out.numbers[2 * k]!;
    const dst = out.numbers[2 * k + 1]!;
    for (let i = 0; i < n; i++) {
      src[i] = values[srcIds[i]!]!;
      dst[i] = values[dstIds[i]!]!;
    }
  }
  for (let k = 0; k < of.codes.length; k++) {
    const codes = of.codes[k]!;
    const src = out.codes[2 * k]!;
    const dst = out.codes[2 * k + 1]!;
    for (let i = 0; i < n; i++) {
      src[i] = codes[srcIds[i]!]!;
      dst[i] = codes[dstIds[i]!]!;
    }
  }
}
