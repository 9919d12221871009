import { WasmMemory, wasmInstance } from '../../wasm/modules.js';
import { type DirectProgram, type DirectRecordWriter, OP_KINDS, type ProgramSource } from './proto-direct.js';
import type { ProtoWriter } from './proto-writer.js';

/**
 * The OTLP record loop in WebAssembly (source: asm/record-writer.ts). A batch loaded into the
 * direct writer is copied in once as a program (its columns, lines and every encoded piece);
 * `writeRows` then writes records straight into a request buffer of the module's memory
 * (`requestBuffer`), or into an output area copied to any other buffer. A record the module
 * leaves (a value outside its common cases) is written by the direct writer, so the output is
 * the same byte for byte.
 */

// Configuration block offsets (asm/record-writer.ts).
const C_ROWS = 0;
const C_OUT_END = 4;
const C_RECORD_MAX = 8;
const C_NTIME = 12;
const C_TIME = 16;
const C_TIME_KEYS = 32;
const C_TIME_WORDS = 36;
const C_SEV_CODES = 40;
const C_SEV_AT = 44;
const C_LINES = 48;
const C_STARTS = 52;
const C_ENDS = 56;
const C_ARENA = 60;
const C_NOPS = 64;
const C_OPS = 68;
const C_OUT_POS = 72;
const C_OUT_ROW = 76;
const C_OBSERVED = 80;
const OP_BYTES = 32;
const MAX_TIME_COLUMNS = 4;

const DONE = 0;
const SLOW = 1;

const CFG = 1024;
const TIME_SLOTS = 4096;
const TIME_KEYS = 2048;
const TIME_WORDS = TIME_KEYS + TIME_SLOTS * 8;
const OUT = TIME_WORDS + TIME_SLOTS * 8;
/** Output area for requests outside this memory: records are copied to them from here. */
const OUT_BYTES = 2 << 20;
/** Request buffers handed out (`requestBuffer`): records are written straight into them. */
const REQUESTS = OUT + OUT_BYTES;
const REQUEST_BYTES = 8 << 20;
/** The batch region: a batch that does not fit goes to the direct writer instead. */
const BATCH = REQUESTS + REQUEST_BYTES;
const BATCH_BYTES = 24 << 20;
/**
 * The memory is reserved whole when the writer is made and never grows: request buffers
 * handed out are views of it, and growing would detach them (while a request is being sent).
 * Pages are only backed when touched.
 */
const MEMORY_BYTES = BATCH + BATCH_BYTES;
/** Bytes kept free at the end of a request buffer: word copies run a little past a piece. */
const OUT_SLACK = 32;

interface WriterExports {
  readonly memory: WebAssembly.Memory;
  readonly writeRows: (cfg: number, from: number, to: number, out: number, limit: number) => number;
}

type Copyable = Float64Array | Uint32Array | Int32Array | Uint8Array;

export class WasmRecordWriter {
  private readonly mem: WasmMemory;
  private readonly run: WriterExports['writeRows'];
  /** Bump pointer of the batch region, reset for each batch. */
  private top = BATCH;
  private readonly placed = new Map<Copyable, number>();
  private rowsAt = 0;
  private requestTop = REQUESTS;

  /** A writer over `direct` (which handles what the module leaves), or null without WebAssembly. */
  static create(w: ProtoWriter, direct: DirectRecordWriter): WasmRecordWriter | null {
    const exports = wasmInstance<WriterExports>('record-writer');
    return exports ? new WasmRecordWriter(exports, w, direct) : null;
  }

  private constructor(
    exports: WriterExports,
    private readonly w: ProtoWriter,
    private readonly direct: DirectRecordWriter,
  ) {
    this.mem = new WasmMemory(exports.memory);
    this.run = exports.writeRows;
    this.mem.reserve(MEMORY_BYTES);
    this.mem.f64.fill(Number.NaN, TIME_KEYS / 8, TIME_KEYS / 8 + TIME_SLOTS);
  }

  /** A request buffer in this memory (records go straight into it), or null when none is left. */
  requestBuffer(size: number): Buffer | null {
    const at = (this.requestTop + 15) & ~15;
    if (at + size > REQUESTS + REQUEST_BYTES) return null;
    this.requestTop = at + size;
    return Buffer.from(this.mem.bytes.buffer, at, size);
  }

  /** Copies the direct writer's loaded batch in; false when the module cannot take it. */
  load(rows: number): boolean {
    const program = this.direct.program(rows);
    if (program.time.length > MAX_TIME_COLUMNS) return false;
    this.top = BATCH;
    this.placed.clear();
    try {
      this.rowsAt = this.alloc(rows * 4);
      this.place(program);
    } catch (err) {
      if (err instanceof NoRoom) return false;
      throw err;
    }
    return true;
  }

  /** As DirectRecordWriter.writeRows, with the common records written by the module. */
  writeRows(rows: Int32Array, from: number, to: number, observed: Buffer, limit: number): number {
    const w = this.w;
    const n = to - from;
    const m = this.mem;
    m.i32.set(rows.subarray(from, to), this.rowsAt >> 2);
    m.u32[(CFG + C_ROWS) >> 2] = this.rowsAt;
    observed.copy(m.bytes, CFG + C_OBSERVED, 1, 9);
    let r = from;
    while (r < to) {
      const room = Math.max(0, Math.min(limit - w.pos, 0x7fffffff));
      // a request buffer of this memory is written in place; any other gets a copy
      const inPlace = w.buf.buffer === m.bytes.buffer;
      const out = inPlace ? w.buf.byteOffset + w.pos : OUT;
      m.u32[(CFG + C_OUT_END) >> 2] = inPlace ? w.buf.byteOffset + w.buf.length - OUT_SLACK : OUT + OUT_BYTES;
      const status = this.run(CFG, r - from, n, out, room);
      const end = m.u32[(CFG + C_OUT_POS) >> 2]!;
      const next = m.u32[(CFG + C_OUT_ROW) >> 2]! + from;
      if (inPlace) {
        w.pos += end - out;
      } else if (end > OUT) {
        w.ensure(end - OUT);
        m.bytes.copy(w.buf, w.pos, OUT, end);
        w.pos += end - OUT;
      }
      const wrote = next > r;
      r = next;
      if (status === DONE) {
        if (r >= to || w.pos >= limit) return r;
        continue;
      }
      if (status === SLOW || !wrote) {
        // the direct writer takes this one record
        r = this.direct.writeRows(rows, r, r + 1, observed, limit);
        if (w.pos >= limit) return r;
      }
    }
    return r;
  }

  /** Lays the program out in the batch region and points the configuration block at it. */
  private place(p: DirectProgram): void {
    const cfg = CFG >> 2;
    const at = (a: Copyable | null): number => (a === null ? 0 : this.copy(a));
    const pair = (s: ProgramSource, to: number): void => {
      // addresses first: placing an array may grow the memory and detach older views
      const codes = at(s.codes);
      const pieces = at(s.at);
      this.mem.u32[to >> 2] = codes;
      this.mem.u32[(to >> 2) + 1] = pieces;
    };
    const arena = at(p.arena);
    const opsAt = this.alloc(p.ops.length * OP_BYTES);
    for (let o = 0; o < p.ops.length; o++) {
      const op = p.ops[o]!;
      const base = opsAt + o * OP_BYTES;
      const words = [op.kind, 0, 0, 0, 0];
      switch (op.kind) {
        case OP_KINDS.str:
          words[1] = at(op.sources[0]!.codes);
          words[2] = at(op.sources[0]!.at);
          break;
        case OP_KINDS.int:
        case OP_KINDS.dbl:
          words[1] = at(op.values);
          words[2] = op.tpl;
          words[3] = op.tplLen;
          words[4] = op.keyLen;
          break;
        case OP_KINDS.numText:
          words[1] = at(op.values);
          words[2] = op.over ? at(op.over.codes) : 0;
          words[3] = op.over ? at(op.over.at) : 0;
          words[4] = at(op.small);
          break;
        default: {
          // OP_KINDS.first, OP_KINDS.pick: a list of sources
          const list = this.alloc(op.sources.length * 8);
          for (let k = 0; k < op.sources.length; k++) pair(op.sources[k]!, list + k * 8);
          words[1] = list;
          words[2] = op.sources.length;
          words[3] = at(op.choices);
        }
      }
      for (let k = 0; k < words.length; k++) this.mem.u32[(base >> 2) + k] = words[k]!;
    }
    p.time.forEach((t, j) => {
      const a = at(t);
      this.mem.u32[cfg + C_TIME / 4 + j] = a;
    });
    const sevCodes = at(p.sevCodes);
    const sevAt = at(p.sevAt);
    const text = p.text;
    const lines = text ? at(text.bytes) : 0;
    const starts = text ? at(text.starts) : 0;
    const ends = text ? at(text.ends) : 0;
    const v = this.mem.u32;
    v[cfg + C_RECORD_MAX / 4] = p.recordMax;
    v[cfg + C_NTIME / 4] = p.time.length;
    v[cfg + C_TIME_KEYS / 4] = TIME_KEYS;
    v[cfg + C_TIME_WORDS / 4] = TIME_WORDS;
    v[cfg + C_SEV_CODES / 4] = sevCodes;
    v[cfg + C_SEV_AT / 4] = sevAt;
    v[cfg + C_LINES / 4] = lines;
    v[cfg + C_STARTS / 4] = starts;
    v[cfg + C_ENDS / 4] = ends;
    v[cfg + C_ARENA / 4] = arena;
    v[cfg + C_NOPS / 4] = p.ops.length;
    v[cfg + C_OPS / 4] = opsAt;
  }

  /** Copies a typed array into the batch region once per batch; returns its address. */
  private copy(a: Copyable): number {
    let at = this.placed.get(a);
    if (at !== undefined) return at;
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    // 16 readable bytes past the end: the line copy may read a little beyond the last line
    at = this.alloc(bytes.length + 16);
    this.mem.bytes.set(bytes, at);
    this.placed.set(a, at);
    return at;
  }

  private alloc(bytes: number): number {
    const at = (this.top + 15) & ~15;
    if (at + bytes > MEMORY_BYTES) throw new NoRoom();
    this.top = at + bytes;
    return at;
  }
}

/** A batch larger than the batch region. */
class NoRoom extends Error {}
