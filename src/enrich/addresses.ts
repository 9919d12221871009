import { type Column, type FlowBatch, type StrColumn, strAt } from '../batch/flow-batch.js';
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
    const e = ADDRESS_BOOK.entry(s);
    if (e === 0) return 0;
    if (e >= this.stamp.length) this.growScratch(ADDRESS_BOOK.values.length);
    if (this.stamp[e] === this.current) return this.local[e]!;
    const id = this.ids++;
    if (id >= this.entries.length) {
      const more = new Uint32Array(this.entries.length * 2);
      more.set(this.entries);
      this.entries = more;
    }
    this.entries[id] = e;
    this.stamp[e] = this.current;
    this.local[e] = id;
    return id;
  }

  private growScratch(size: number): void {
    const length = Math.max(size, this.stamp.length * 2);
    const local = new Uint32Array(length);
    local.set(this.local);
    const stamp = new Uint32Array(length);
    stamp.set(this.stamp);
    this.local = local;
    this.stamp = stamp;
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
    const p = pkt ? new CodeIds(pkt) : null;
    const b = base ? new CodeIds(base) : null;
    for (let i = 0; i < n; i++) {
      let id = p !== null ? this.idAt(p, i) : 0;
      if (id === 0 && b !== null) id = this.idAt(b, i);
      out[i] = id;
    }
  }

  /** Row i's id in a string column (0 for none), its code's id interned when first met. */
  private idAt(c: CodeIds, i: number): number {
    const code = c.codes[i]!;
    if (code === 0) return 0;
    const known = c.idOf[code]!;
    if (known !== 0) return known - 1;
    const id = this.intern(c.dict[code]!);
    c.idOf[code] = id + 1;
    return id;
  }
}

/** A string column's codes, with its codes' ids (id + 1; 0 until the code is first met). */
class CodeIds {
  readonly codes: Uint32Array;
  readonly dict: readonly string[];
  readonly idOf: Uint32Array;

  constructor(col: StrColumn) {
    this.codes = col.codes;
    this.dict = col.dict;
    this.idOf = new Uint32Array(col.dict.length);
  }
}

const builder = new TableBuilder();

function buildTable(batch: FlowBatch): AddressTable {
  return builder.build(batch);
}
