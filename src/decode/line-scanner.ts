import type { FieldDef } from '../fields/catalog.js';
import { MAX_COUNT } from '../fields/catalog.js';
import { textCheck } from '../fields/domain.js';
import { WasmMemory, wasmInstance, wasmModule } from '../wasm/modules.js';
import { decodeBytes } from './interner.js';

/**
 * The WebAssembly line scanner (source: asm/line-scanner.ts) and the memory it works in. The
 * text decoder copies each region of whole lines into `bytes`, calls `scan`, and gets rows in
 * the current batch area; strings seen for the first time in a batch come back as a list of
 * (table, entry) pairs that `takeNewCodes` turns into dictionary entries.
 *
 * Memory is handed out here, bump-style: an input area that grows with the largest region,
 * one batch area per field layout, and one intern table per string column. The views
 * (`bytes`, `u32`, `f64`) are re-made whenever the memory grows; `version` counts that.
 */

// Offsets of the configuration block and of a table header (asm/line-scanner.ts).
const C_NFIELDS = 0;
const C_HEADERS = 4;
const C_MAXLINE = 8;
const C_POS = 12;
const C_STARTS = 16;
const C_ENDS = 20;
const C_DELTA = 24;
const C_NEWLIST = 28;
const C_NEWCOUNT = 32;
const C_OUT_P = 36;
const C_OUT_ROW = 40;
const C_OUT_TABLE = 44;
const C_TEXT_END = 48;
const C_LINENO = 56;
const C_FIELDS = 64;

const T_SLOTS = 0;
const T_MASK = 4;
const T_ENTS = 8;
const T_MAXENT = 12;
const T_COUNT = 16;
const T_ARENA = 20;
const T_ARENACAP = 24;
const T_ARENAPOS = 28;
const T_EPOCH = 32;
const T_DICTLEN = 36;
const T_ID = 40;
const T_HEADER = 64;
const E_STRIDE = 20;

/** `scan` statuses besides done (0) and batch full (1): see asm/line-scanner.ts. */
export const SCAN_SLOW = 2;
export const SCAN_TABLE_FULL = 3;

/** A field kind of the configuration block besides number (0) and string (1). */
const KIND_TIME = 2;

/** Entries and arena bytes of one column's table, as the JavaScript interner keeps them. */
const TABLE_ENTRIES = 16384;
const TABLE_ARENA = 1 << 20;
/** Readable bytes after every area the scanner reads with 16-byte loads. */
const PAD = 32;
/**
 * Most fields of a layout the scanner takes, and most string-column tables one scanner holds
 * (about 1.45 MiB each, in a 32-bit address space). Wider layouts, and new columns past the
 * table limit, are decoded by the JavaScript decoder: a header of thousands of unknown fields
 * is hostile or a mistake, and costs the JavaScript decoder about as much per value.
 */
export const MAX_SCAN_FIELDS = 128;
const MAX_SCAN_TABLES = 64;
const CFG_BYTES = 64 + 16 * MAX_SCAN_FIELDS;

/** Released scanners of this thread, and how many are kept. */
const FREE: LineScanner[] = [];
const MAX_FREE = 4;

interface ScannerExports {
  readonly memory: WebAssembly.Memory;
  readonly scan: (cfg: number, p: number, end: number, row: number, rowLimit: number) => number;
}

/** A string column's intern table and the strings made for its entries so far. */
export interface ScanTable {
  readonly id: number;
  readonly ptr: number;
  strings: (string | undefined)[];
  /** Replaced whenever the table is emptied: entry numbers of another space name other strings (see DictKeys in batch/flow-batch.ts). */
  space: object;
}

/** Where one field layout's rows go: a column per field, positions, line starts and ends. */
export interface BatchArea {
  readonly columns: readonly number[];
  readonly positions: number;
  readonly starts: number;
  readonly ends: number;
  readonly newList: number;
  readonly rows: number;
  /** String fields the new-code list has room for. */
  readonly strFields: number;
}

/** True when text is decoded by the WebAssembly scanner in this process. */
export function lineScannerAvailable(): boolean {
  return wasmModule('line-scanner') !== null;
}

export class LineScanner {
  private readonly mem: WasmMemory;
  private readonly scanFn: ScannerExports['scan'];
  private top = 0;
  private readonly cfg: number;
  private input = 0;
  private inputCap = 0;
  private readonly tables: ScanTable[] = [];
  private readonly tableByColumn = new Map<string, ScanTable>();
  private batchArea: BatchArea | null = null;
  private epoch = 0;
  /** Per table id, the domain check of its column's new values (null: any text). */
  private readonly checks: (((value: string) => boolean) | null)[] = [];

  /**
   * A scanner for one stream: a released one when there is one, else a new one, or null when
   * the WebAssembly scanner is not available. Instances are reused because each has its own
   * memory: a new one per file of a directory of thousands would cost more than the files.
   */
  static acquire(): LineScanner | null {
    const free = FREE.pop();
    if (free) return free;
    const host: { scanner?: LineScanner } = {};
    const acceptValue = (table: number, s: number, len: number): boolean =>
      host.scanner!.acceptValue(table, s, len);
    const exports = wasmInstance<ScannerExports>('line-scanner', { env: { acceptValue } });
    if (!exports) return null;
    host.scanner = new LineScanner(exports);
    return host.scanner;
  }

  /** The stream is done: the scanner (its tables and string caches too) serves the next one. */
  release(): void {
    if (FREE.length < MAX_FREE && !FREE.includes(this)) FREE.push(this);
  }

  /**
   * True when a layout of `fields` fields with these string columns fits the scanner: not too
   * wide, and its tables (those it has, plus the new ones) within the table limit.
   */
  canTake(fields: number, stringColumns: readonly string[]): boolean {
    if (fields > MAX_SCAN_FIELDS) return false;
    let added = 0;
    for (const column of stringColumns) if (!this.tableByColumn.has(column)) added++;
    return this.tables.length + added <= MAX_SCAN_TABLES;
  }

  /** The intern table of a string column (shared by every stream this scanner serves). */
  tableFor(column: string): ScanTable {
    let t = this.tableByColumn.get(column);
    if (!t) {
      t = this.table();
      this.tableByColumn.set(column, t);
    }
    return t;
  }

  /** A number for a new batch, never used before by this scanner's tables. */
  nextEpoch(): number {
    return ++this.epoch;
  }

  private constructor(exports: ScannerExports) {
    this.mem = new WasmMemory(exports.memory);
    this.scanFn = exports.scan;
    this.top = 1024; // address 0 stays unused
    this.cfg = this.alloc(CFG_BYTES);
  }

  /** Copies bytes [start, end) of buf into the input area; returns where they start. */
  load(buf: Buffer, start: number, end: number): number {
    const n = end - start;
    if (n + PAD > this.inputCap) {
      this.inputCap = Math.max(n + PAD, this.inputCap * 2, 1 << 20);
      this.input = this.alloc(this.inputCap);
    }
    buf.copy(this.bytes, this.input, start, end);
    return this.input;
  }

  private table(): ScanTable {
    const slots = TABLE_ENTRIES * 2;
    const ptr = this.alloc(T_HEADER + slots * 4 + TABLE_ENTRIES * E_STRIDE + TABLE_ARENA + PAD);
    const t: ScanTable = { id: this.tables.length, ptr, strings: [], space: {} };
    this.tables.push(t);
    const w = ptr >> 2;
    const u32 = this.u32;
    u32[w + T_SLOTS / 4] = ptr + T_HEADER;
    u32[w + T_MASK / 4] = slots - 1;
    u32[w + T_ENTS / 4] = ptr + T_HEADER + slots * 4;
    u32[w + T_MAXENT / 4] = TABLE_ENTRIES;
    u32[w + T_ARENA / 4] = ptr + T_HEADER + slots * 4 + TABLE_ENTRIES * E_STRIDE;
    u32[w + T_ARENACAP / 4] = TABLE_ARENA;
    u32[w + T_ID / 4] = t.id;
    return t;
  }

  /** Empties a full table; its entries' strings are dropped with it. */
  clearTable(id: number): void {
    const t = this.tables[id]!;
    const w = t.ptr >> 2;
    const slots = this.u32[w + T_SLOTS / 4]!;
    this.u32.fill(0, slots >> 2, (slots >> 2) + this.u32[w + T_MASK / 4]! + 1);
    this.u32[w + T_COUNT / 4] = 0;
    this.u32[w + T_ARENAPOS / 4] = 0;
    t.strings = [];
    t.space = {};
  }

  /**
   * The batch area for a layout of `fields` columns (`strFields` of them strings) and `rows`
   * rows. One area serves every layout (a batch's rows are copied out when it is emitted); it
   * is replaced by one at least twice as wide when a layout does not fit, so that a stream of
   * ever wider headers allocates at most twice the widest.
   */
  area(fields: number, strFields: number, rows: number): BatchArea {
    const a = this.batchArea;
    if (a && a.columns.length >= fields && a.strFields >= strFields && a.rows >= rows) return a;
    const width = Math.min(MAX_SCAN_FIELDS, Math.max(fields, 2 * (a?.columns.length ?? 0)));
    const strings = Math.min(width, Math.max(1, strFields, 2 * (a?.strFields ?? 0)));
    const size = Math.max(rows, a?.rows ?? 0);
    const columns: number[] = [];
    for (let f = 0; f < width; f++) columns.push(this.alloc(size * 8));
    this.batchArea = {
      columns,
      positions: this.alloc(size * 8),
      starts: this.alloc(size * 4),
      ends: this.alloc(size * 4),
      newList: this.alloc(strings * size * 8 + 8),
      rows: size,
      strFields: strings,
    };
    return this.batchArea;
  }

  /**
   * Sets the layout for the next scans: per field, numeric or the table of its string column.
   * `epoch` names the batch: a string gets a new code the first time it is seen in a batch.
   */
  configure(
    area: BatchArea,
    tables: readonly (ScanTable | null)[],
    epoch: number,
    headers: boolean,
    maxLine: number,
  ): void {
    const w = this.cfg >> 2;
    const u32 = this.u32;
    u32[w + C_NFIELDS / 4] = tables.length;
    u32[w + C_HEADERS / 4] = headers ? 1 : 0;
    u32[w + C_MAXLINE / 4] = maxLine;
    u32[w + C_POS / 4] = area.positions;
    u32[w + C_STARTS / 4] = area.starts;
    u32[w + C_ENDS / 4] = area.ends;
    u32[w + C_NEWLIST / 4] = area.newList;
    for (let f = 0; f < tables.length; f++) {
      const fw = w + (C_FIELDS >> 2) + f * 4;
      const t = tables[f];
      u32[fw] = t ? 1 : 0;
      u32[fw + 1] = area.columns[f]!;
      u32[fw + 2] = t ? t.ptr : 0;
      if (t) u32[(t.ptr >> 2) + T_EPOCH / 4] = epoch;
    }
  }

  /**
   * Sets the field domains of the layout `configure` set: a number field's bound, a time
   * field's kind, and for a string field whether its new values go through `acceptValue`.
   */
  setDomains(fields: readonly FieldDef[], tables: readonly (ScanTable | null)[]): void {
    const u32 = this.u32;
    for (let f = 0; f < fields.length; f++) {
      const fw = (this.cfg >> 2) + (C_FIELDS >> 2) + f * 4;
      const d = fields[f]!.domain;
      const t = tables[f];
      if (t) {
        const check = textCheck(fields[f]!);
        this.checks[t.id] = check;
        u32[fw + 3] = check ? 1 : 0;
      } else if (d.kind === 'time') {
        u32[fw] = KIND_TIME;
        u32[fw + 3] = 0;
      } else {
        const max = d.kind === 'number' ? d.max : MAX_COUNT;
        u32[fw + 3] = max > 0xffffffff ? 0 : max;
      }
    }
  }

  /** The scanner's call for a value new to a checked table: true when it is in the column's domain. */
  private acceptValue(table: number, s: number, len: number): boolean {
    const check = this.checks[table];
    return !check || check(decodeBytes(this.bytes, s, s + len));
  }

  /** The dictionary length a string column's next new value gets as its code. */
  setDictLength(table: ScanTable, length: number): void {
    this.u32[(table.ptr >> 2) + T_DICTLEN / 4] = length;
  }

  /**
   * Scans lines from p to end into rows `row`…`rowLimit - 1`. Row text offsets are written as
   * `textBase + (offset - p)`. Returns a SCAN_ status; `outP`, `outRow`, `lineNo`, `textEnd`
   * tell where it stopped.
   */
  scan(p: number, end: number, row: number, rowLimit: number, lineNo: number, textBase: number): number {
    const w = this.cfg >> 2;
    this.i32[w + C_DELTA / 4] = textBase - p;
    this.u32[w + C_NEWCOUNT / 4] = 0;
    this.u32[w + C_TEXT_END / 4] = p;
    this.f64[(this.cfg + C_LINENO) >> 3] = lineNo;
    return this.scanFn(this.cfg, p, end, row, rowLimit);
  }

  get outP(): number {
    return this.u32[(this.cfg + C_OUT_P) >> 2]!;
  }
  get outRow(): number {
    return this.u32[(this.cfg + C_OUT_ROW) >> 2]!;
  }
  get outTable(): number {
    return this.u32[(this.cfg + C_OUT_TABLE) >> 2]!;
  }
  get lineNo(): number {
    return this.f64[(this.cfg + C_LINENO) >> 3]!;
  }
  get textEnd(): number {
    return this.u32[(this.cfg + C_TEXT_END) >> 2]!;
  }

  /**
   * Calls `push(table, value, entry)` for each string the last scan gave a new code, in code
   * order; `entry` is the value's entry in the table (stable until the table is emptied).
   */
  takeNewCodes(push: (table: ScanTable, value: string, entry: number) => void): void {
    const u32 = this.u32;
    const n = u32[(this.cfg + C_NEWCOUNT) >> 2]!;
    if (n === 0) return;
    let at = u32[(this.cfg + C_NEWLIST) >> 2]! >> 2;
    for (let k = 0; k < n; k++, at += 2) {
      const t = this.tables[u32[at]!]!;
      const e = u32[at + 1]!;
      let s = t.strings[e];
      if (s === undefined) {
        const tw = t.ptr >> 2;
        const ep = (u32[tw + T_ENTS / 4]! + e * E_STRIDE) >> 2;
        const a = u32[tw + T_ARENA / 4]! + u32[ep + 1]!;
        s = decodeBytes(this.bytes, a, a + u32[ep + 2]!);
        t.strings[e] = s;
      }
      push(t, s, e);
    }
  }

  /** Bumped when the memory grows: views taken before are detached. */
  get version(): number {
    return this.mem.version;
  }
  get bytes(): Buffer {
    return this.mem.bytes;
  }
  private get u32(): Uint32Array {
    return this.mem.u32;
  }
  private get i32(): Int32Array {
    return this.mem.i32;
  }
  private get f64(): Float64Array {
    return this.mem.f64;
  }

  private alloc(bytes: number): number {
    const at = (this.top + 15) & ~15;
    this.top = at + bytes;
    this.mem.reserve(this.top);
    return at;
  }
}
