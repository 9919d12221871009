import { type Column, type FlowBatch, type StrColumn, strAt } from '../batch/flow-batch.js';
import { grown } from '../batch/grown.js';
import { WasmMemory, wasmInstance } from '../wasm/modules.js';
import { ADDRESS_BOOK } from './address-book.js';

/**
 * The original endpoints of every row of a batch, as ids into one table of the batch's distinct
 * addresses. The original source is pkt-srcaddr when present, else srcaddr (likewise for the
 * destination), so NAT gateways and secondary IPs resolve to the real hosts. Enrichers compute
 * whatever they need once per distinct address and index it by these ids; what never changes
 * about an address (family, words, class) comes from the thread's address book, parsed once.
 */
export interface AddressTable {
  /** Distinct addresses; values[0] is an unused placeholder (id 0 = no address). */
  readonly values: readonly string[];
  readonly srcIds: Uint32Array;
  readonly dstIds: Uint32Array;
  /** Per id: 4, 6, or 0 when the text is not an IP address (and for id 0). */
  readonly family: Uint8Array;
  /** Per id: the address as four big-endian words (IPv4 in the first), at 4·id. */
  readonly words: Uint32Array;
  /** Per id: network class code (NC), NC.none for id 0 and non-addresses. */
  readonly classes: Uint8Array;
  /** Per id: its address book entry, valid while the book's epoch is `epoch`. */
  readonly entries: Uint32Array;
  readonly epoch: number;
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

/**
 * Builds tables one at a time (tables are built synchronously, so one builder serves the
 * thread). `local[e]` is book entry e's id in the table being built when `stamp[e]` is that
 * table's stamp, so finding a known address's id costs two array reads and no per-batch Map.
 */
class TableBuilder {
  private local = new Uint32Array(1024);
  private stamp = new Uint32Array(1024);
  private current = 0;
  /** Book entry by id, for the table being built. */
  private entries = new Uint32Array(1024);
  private ids = 1;

  build(batch: FlowBatch): AddressTable {
    const book = ADDRESS_BOOK;
    book.startBatch();
    if (++this.current === 0x1_0000_0000) {
      this.stamp.fill(0);
      this.current = 1;
    }
    this.ids = 1;
    const n = batch.length;
    const srcIds = new Uint32Array(n);
    const dstIds = new Uint32Array(n);
    this.fillSide(n, batch.column('pkt_srcaddr'), batch.column('srcaddr'), srcIds);
    this.fillSide(n, batch.column('pkt_dstaddr'), batch.column('dstaddr'), dstIds);
    const ids = this.ids;
    const values: string[] = new Array(ids);
    values[0] = '';
    const family = new Uint8Array(ids);
    const words = new Uint32Array(4 * ids);
    const classes = new Uint8Array(ids);
    const entries = this.entries.slice(0, ids);
    const bookValues = book.values;
    const bookFamily = book.family;
    const bookWords = book.words;
    const bookClasses = book.classes;
    for (let id = 1; id < ids; id++) {
      const e = entries[id]!;
      values[id] = bookValues[e]!;
      family[id] = bookFamily[e]!;
      classes[id] = bookClasses[e]!;
      words[4 * id] = bookWords[4 * e]!;
      words[4 * id + 1] = bookWords[4 * e + 1]!;
      words[4 * id + 2] = bookWords[4 * e + 2]!;
      words[4 * id + 3] = bookWords[4 * e + 3]!;
    }
    return { values, srcIds, dstIds, family, words, classes, entries, epoch: book.epoch };
  }

  /** The id of address text `s` in the table being built (0 for no address). */
  private intern(s: string): number {
    return this.localId(ADDRESS_BOOK.entry(s));
  }

  /** The id of book entry `e` in the table being built (0 for entry 0, no address). */
  private localId(e: number): number {
    if (e === 0) return 0;
    if (e >= this.stamp.length) this.growScratch(ADDRESS_BOOK.values.length);
    if (this.stamp[e] === this.current) return this.local[e]!;
    const id = this.ids++;
    if (id >= this.entries.length) this.entries = grown(this.entries, this.entries.length * 2);
    this.entries[id] = e;
    this.stamp[e] = this.current;
    this.local[e] = id;
    return id;
  }

  private growScratch(size: number): void {
    const length = Math.max(size, this.stamp.length * 2);
    this.local = grown(this.local, length);
    this.stamp = grown(this.stamp, length);
  }

  /**
   * One side's ids: the packet address when the row has one, else the interface address. Ids
   * are given in row order (each distinct value interned once, then found by its column code);
   * string columns, the decoders' case, take a typed-array loop with one array lookup per row.
   */
  private fillSide(n: number, pkt: Column | undefined, base: Column | undefined, out: Uint32Array): void {
    if ((pkt && pkt.kind !== 'str') || (base && base.kind !== 'str')) {
      // A column of another kind (never from the decoders): the general path.
      for (let i = 0; i < n; i++) {
        const fromPkt = strAt(pkt, i);
        let id = fromPkt === null ? 0 : this.intern(fromPkt);
        if (id === 0) {
          const fromBase = strAt(base, i);
          id = fromBase === null ? 0 : this.intern(fromBase);
        }
        out[i] = id;
      }
      return;
    }
    const b = base ? this.codeIds(base) : null;
    if (!pkt) {
      if (!b) return;
      // read per table, as every WebAssembly part reads it when made (tests compare both paths)
      const kernel = process.env.FLOWLENS_WASM === '0' ? null : this.idKernel();
      if (kernel) this.fillOneWasm(kernel, n, b, out);
      else this.fillOne(n, b, out);
      return;
    }
    const p = this.codeIds(pkt);
    for (let i = 0; i < n; i++) {
      let id = this.idAt(p, p.codes[i]!);
      if (id === 0 && b !== null) id = this.idAt(b, b.codes[i]!);
      out[i] = id;
    }
  }

  /** Ids of one column's rows (the usual case: no packet addresses). */
  private fillOne(n: number, c: CodeIds, out: Uint32Array): void {
    const codes = c.codes;
    const idOf = c.idOf;
    for (let i = 0; i < n; i++) {
      const code = codes[i]!;
      const known = idOf[code]!;
      out[i] = known !== 0 ? known - 1 : this.firstId(c, code);
    }
  }

  /**
   * As `fillOne`, the row passes in WebAssembly (asm/row-spread.ts): the codes met for the first
   * time, in row order, are listed there, given their ids here (the same ids in the same order
   * as `fillOne` gives), and then every row reads its code's id there.
   */
  private fillOneWasm(kernel: IdKernel, n: number, c: CodeIds, out: Uint32Array): void {
    const m = kernel.mem;
    const codeCount = c.dict.length;
    const idOfAt = align(4 * n);
    const listAt = align(idOfAt + 4 * codeCount);
    const outAt = align(listAt + 4 * codeCount);
    m.reserve(outAt + 4 * n);
    const u32 = m.u32;
    u32.set(c.codes.subarray(0, n), 0);
    u32.fill(0, idOfAt >> 2, (idOfAt >> 2) + codeCount);
    u32[idOfAt >> 2] = 1; // code 0 (null): id 0
    const count = kernel.firstSeen(n, 0, codeCount, idOfAt, listAt);
    for (let k = 0; k < count; k++) {
      const code = u32[(listAt >> 2) + k]!;
      u32[(idOfAt >> 2) + code] = this.firstId(c, code) + 1;
    }
    kernel.idsOf(n, 0, codeCount, idOfAt, outAt);
    out.set(u32.subarray(outAt >> 2, (outAt >> 2) + n));
  }

  /** The row pass kernel, made on first use (null when WebAssembly is off or not built). */
  private idKernel(): IdKernel | null {
    if (this.kernel === undefined) {
      const exports = wasmInstance<IdKernelExports>('row-spread');
      this.kernel = exports
        ? { mem: new WasmMemory(exports.memory), firstSeen: exports.firstSeen, idsOf: exports.idsOf }
        : null;
    }
    return this.kernel;
  }

  private kernel: IdKernel | null | undefined;

  /** The id of a string column's code (0 for none). */
  private idAt(c: CodeIds, code: number): number {
    const known = c.idOf[code]!;
    return known !== 0 ? known - 1 : this.firstId(c, code);
  }

  /**
   * The id of a code met for the first time in this batch: its book entry found by the
   * decoder's key for the value when it has one (an array read), else by its text.
   */
  private firstId(c: CodeIds, code: number): number {
    const key = code < c.keys.length ? c.keys[code]! : 0;
    let e: number;
    if (key === 0) {
      e = ADDRESS_BOOK.entry(c.dict[code]!);
    } else {
      const byKey = c.byKey!;
      const found = key < byKey.entries.length ? byKey.entries[key]! : 0;
      if (found !== 0) {
        e = found - 1;
      } else {
        e = ADDRESS_BOOK.entry(c.dict[code]!);
        byKey.remember(key, e);
      }
    }
    const id = this.localId(e);
    c.idOf[code] = id + 1;
    return id;
  }

  /** A string column's codes, ids and decoder keys for the table being built. */
  private codeIds(col: StrColumn): CodeIds {
    const keyed = col.keys;
    if (!keyed) return new CodeIds(col, NO_KEYS, null);
    let byKey = this.bySpace.get(keyed.space);
    if (!byKey || byKey.epoch !== ADDRESS_BOOK.epoch) {
      byKey = new EntriesByKey(ADDRESS_BOOK.epoch);
      this.bySpace.set(keyed.space, byKey);
    }
    return new CodeIds(col, keyed.keys, byKey);
  }

  /** Book entries by decoder key, per key space (see DictKeys); dropped with the space. */
  private readonly bySpace = new WeakMap<object, EntriesByKey>();
}

const NO_KEYS = new Uint32Array(0);

const align = (x: number): number => (x + 15) & ~15;

interface IdKernelExports {
  readonly memory: WebAssembly.Memory;
  readonly firstSeen: (n: number, codes: number, codeCount: number, idOf: number, list: number) => number;
  readonly idsOf: (n: number, codes: number, codeCount: number, idOf: number, out: number) => void;
}

interface IdKernel {
  readonly mem: WasmMemory;
  readonly firstSeen: IdKernelExports['firstSeen'];
  readonly idsOf: IdKernelExports['idsOf'];
}

/** Book entry + 1 (0: not known yet) by decoder key, valid while the book is at `epoch`. */
class EntriesByKey {
  entries = new Uint32Array(1024);

  constructor(readonly epoch: number) {}

  remember(key: number, entry: number): void {
    if (key >= this.entries.length)
      this.entries = grown(this.entries, Math.max(key + 1, this.entries.length * 2));
    this.entries[key] = entry + 1;
  }
}

/** A string column's codes, with its codes' ids (id + 1; 0 until the code is first met). */
class CodeIds {
  readonly codes: Uint32Array;
  readonly dict: readonly string[];
  readonly idOf: Uint32Array;

  constructor(
    col: StrColumn,
    readonly keys: Uint32Array,
    readonly byKey: EntriesByKey | null,
  ) {
    this.codes = col.codes;
    this.dict = col.dict;
    this.idOf = new Uint32Array(col.dict.length);
    this.idOf[0] = 1; // code 0 (null): id 0, without a test per row
  }
}

const builder = new TableBuilder();

function buildTable(batch: FlowBatch): AddressTable {
  return builder.build(batch);
}
