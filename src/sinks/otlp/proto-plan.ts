import { isUtf8 } from 'node:buffer';
import type { LineText } from '../../batch/flow-batch.js';
import type { AttributeWriter, OtelPlan } from '../../schema/types.js';
import { BatchBytes, type CodeBytes, type ColumnValues, NOTHING, type Source } from './batch-bytes.js';
import { digitCount, putBytes, putDigits, putVarint } from './byte-arena.js';
import { DirectRecordWriter } from './proto-direct.js';
import {
  T_AV_DOUBLE,
  T_AV_INT,
  T_AV_STRING,
  T_KV_VALUE,
  T_LR_ATTR,
  T_LR_BODY,
  T_LR_TIME,
  T_SL_RECORD,
} from './proto-tags.js';
import type { ProtoWriter } from './proto-writer.js';
import { varintSize } from './proto-writer.js';
import { WasmRecordWriter } from './wasm-records.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const SPACE = 0x20;
const DASH = 0x2d;

/** Cached record times (a power of two). */
const TIME_SLOTS = 1024;

/** Rows sized and written together by `writeRows`. */
const CHUNK = 128;

const OP_STR = 0;
const OP_INT = 1;
const OP_DBL = 2;
const OP_NUM_TEXT = 3;
const OP_PICK = 4;
const OP_ROW = 5;

const DASH_BYTES = new Uint8Array([DASH]);

/** One compiled attribute operation; one shape for every kind keeps the hot loop monomorphic. */
class Op {
  kind = OP_ROW;
  keyField: Buffer = Buffer.alloc(0);
  key = '';
  values: Float64Array = new Float64Array(0);
  sources: Source[] = [];
  override: Source | null = null;
  /** numText: KeyValue bytes of small integer values (protocol numbers) in this batch. */
  small: CodeBytes = [];
  text: ((value: number) => string | null) | null = null;
  choose: ((i: number) => number) | null = null;
  row: ((i: number, out: AttributeWriter) => void) | null = null;
}

/**
 * Writes LogRecords from a compiled OtelPlan straight into the request buffer: per record it
 * reads typed arrays and copies bytes encoded once per dictionary code of the batch; no string,
 * object or map lookup per record. Exactly the fields the visitor path of ProtoRequestEncoder
 * writes, in the same order.
 */
export class PlanRecordWriter {
  private readonly bytes = new BatchBytes();
  private ops: Op[] = [];
  private time: Float64Array[] = [];
  private sevCodes: Uint32Array | null = null;
  private sevBytes: CodeBytes = [];
  private sevDict: readonly string[] = [];
  private sevNumber: (v: string | null) => number = () => 0;
  private sevText: (v: string | null) => string = () => '';
  private bodyKind: 'line' | 'text' | 'none' = 'none';
  private bodyText: ((i: number) => string | null) | null = null;
  private lineText: (i: number) => string = () => '';
  private bodyNums: (Float64Array | null)[] = [];
  private bodyValues: (ColumnValues | null)[] = [];
  /** The batch's original lines, when it has them and they are valid UTF-8: the body is one copy. */
  private lineBytes: Uint8Array | null = null;
  private lineStarts: Uint32Array = new Uint32Array(0);
  private lineEnds: Uint32Array = new Uint32Array(0);
  /** Per body column of the current row: its cached bytes, or null for digits written in place. */
  private cells: (Uint8Array | null)[] = [];
  private cellLen = new Int32Array(0);
  /** timeUnixNano fixed64 bytes of recent record times, direct-mapped by the second (times repeat). */
  private readonly timeKeys = new Float64Array(TIME_SLOTS).fill(Number.NaN);
  private readonly timeBytes = new Uint8Array(TIME_SLOTS * 8);
  /** Every op and the body can be sized before writing: records go out column by column. */
  private sizable = false;
  // Per row of the current chunk: its batch row, record length, body text length, write cursor.
  private readonly idx = new Int32Array(CHUNK);
  private readonly recLen = new Int32Array(CHUNK);
  private readonly bodyLen = new Int32Array(CHUNK);
  private readonly cursor = new Int32Array(CHUNK);

  /** Batches with their original lines (or no body) and column ops only: written row by row, unsized. */
  private readonly direct: DirectRecordWriter;
  private useDirect = false;
  /** The direct writer's record loop in WebAssembly, where it is available. */
  private readonly wasm: WasmRecordWriter | null;
  private useWasm = false;
  /** The plan loaded but not yet compiled for the column and row writers. */
  private pending: OtelPlan | null = null;
  private pendingLines: LineText | undefined;

  constructor(
    private readonly w: ProtoWriter,
    /** Writes the attributes no op covers (the encoder's visitor path). */
    private readonly fallback: AttributeWriter,
  ) {
    this.direct = new DirectRecordWriter(w, fallback);
    this.wasm = WasmRecordWriter.create(w, this.direct);
  }

  /** A request buffer the WebAssembly loop writes records into in place, if it has one left. */
  requestBuffer(size: number): Buffer | null {
    return this.wasm ? this.wasm.requestBuffer(size) : null;
  }

  /**
   * Compiles the plan of a new batch; `line` gives the record line for the rare slow body, and
   * `text` the batch's original lines, copied as they are for a `line` body.
   */
  load(plan: OtelPlan, line: (i: number) => string, rows: number, text?: LineText): void {
    this.lineText = line;
    // A protobuf string must be UTF-8: bytes that are not keep the rebuilt body (the decoder's
    // strings carry replacement characters there). Lines start and end next to ASCII blanks, so
    // one check of the whole copy covers every line.
    const lines = text !== undefined && plan.body.kind === 'line' && isUtf8(text.bytes) ? text : undefined;
    this.useDirect = this.direct.load(plan, lines);
    this.useWasm = this.useDirect && this.wasm?.load(rows) === true;
    this.pending = plan;
    this.pendingLines = lines;
    // the column and row writers' own tables are built when first needed (rarely, with the direct writer)
    if (!this.useDirect) this.compile();
  }

  /** Builds the column and row writers' tables for the batch last loaded. */
  private compile(): void {
    const plan = this.pending;
    const text = this.pendingLines;
    if (plan === null) return;
    this.pending = null;
    this.bytes.reset();
    this.time = [...plan.time];
    const sev = plan.severity;
    this.sevNumber = sev.number;
    this.sevText = sev.text;
    this.sevCodes = sev.column ? sev.column.codes : null;
    this.sevDict = sev.column ? sev.column.dict : [''];
    this.sevBytes = new Array<Uint8Array | undefined>(this.sevDict.length);
    const body = plan.body;
    this.bodyKind = body.kind;
    this.bodyText = body.kind === 'text' ? body.text : null;
    this.bodyNums = [];
    this.bodyValues = [];
    if (body.kind === 'line') {
      for (const c of body.columns) {
        this.bodyNums.push(c.kind === 'num' ? c.values : null);
        this.bodyValues.push(c.kind === 'str' ? this.bytes.valuesOf(c) : null);
      }
    }
    this.cells = this.bodyNums.map(() => null);
    this.lineBytes = null;
    if (text !== undefined) {
      this.lineBytes = text.bytes;
      this.lineStarts = text.starts;
      this.lineEnds = text.ends;
    }
    this.cellLen = new Int32Array(this.bodyNums.length);
    this.ops = plan.attributes.map((a) => {
      const op = new Op();
      switch (a.kind) {
        case 'str':
          op.kind = OP_STR;
          op.sources = a.sources.map((s) => this.bytes.source(s));
          break;
        case 'int':
        case 'dbl':
          op.kind = a.kind === 'int' ? OP_INT : OP_DBL;
          op.key = a.key;
          op.keyField = this.bytes.keyField(a.key);
          op.values = a.values;
          break;
        case 'numText':
          op.kind = OP_NUM_TEXT;
          op.key = a.key;
          op.values = a.values;
          op.keyField = this.bytes.keyField(a.key);
          op.override = a.override ? this.bytes.source({ column: a.override, key: a.key }) : null;
          op.small = new Array<Uint8Array | undefined>(256);
          op.text = a.text;
          break;
        case 'pick':
          op.kind = OP_PICK;
          op.sources = a.columns.map((column) => this.bytes.source({ column, key: a.key }));
          op.choose = a.choose;
          break;
        default:
          op.kind = OP_ROW;
          op.row = a.write;
      }
      return op;
    });
    this.sizable =
      body.kind !== 'text' &&
      this.ops.every((op) => op.kind !== OP_ROW && (op.kind !== OP_DBL || op.keyField.length < 100));
  }

  /**
   * Writes LogRecords for rows[from…to) until the buffer holds `limit` bytes or more (the record
   * that crosses it is written); returns the index after the last row written, at least from + 1.
   * Chunks of rows are sized first, then written one column at a time: a tight loop per
   * attribute instead of a dispatch per attribute per record.
   */
  writeRows(rows: Int32Array, from: number, to: number, observed: Buffer, limit: number): number {
    if (this.useWasm) return this.wasm!.writeRows(rows, from, to, observed, limit);
    if (this.useDirect) return this.direct.writeRows(rows, from, to, observed, limit);
    let r = from;
    // the first row goes in whatever the size, so every call makes progress
    while (r < to && (r === from || this.w.pos < limit)) {
      const n = Math.min(CHUNK, to - r);
      const idx = this.idx;
      for (let k = 0; k < n; k++) idx[k] = rows[r + k]!;
      if (!this.sizable || !this.sizeChunk(n)) {
        // a value only the row writer handles: this chunk row by row
        for (let k = 0; k < n && (r === from || this.w.pos < limit); k++) {
          this.write(idx[k]!, observed);
          r++;
        }
        continue;
      }
      r += this.writeChunk(n, observed, limit);
    }
    return r;
  }

  /** Record lengths of the chunk's rows into recLen; false when a row needs the row writer. */
  private sizeChunk(n: number): boolean {
    const idx = this.idx;
    const len = this.recLen;
    const time = this.time;
    const sevCodes = this.sevCodes;
    for (let k = 0; k < n; k++) {
      const i = idx[k]!;
      let t = Number.NaN;
      for (let j = 0; j < time.length; j++) {
        t = time[j]![i]!;
        if (!Number.isNaN(t)) break;
      }
      const code = sevCodes === null ? 0 : sevCodes[i]!;
      len[k] = (t > 0 ? 9 : 0) + 9 + (this.sevBytes[code] ?? this.encodeSeverity(code)).length;
    }
    if (this.bodyKind === 'line') {
      if (this.lineBytes !== null) {
        const starts = this.lineStarts;
        const ends = this.lineEnds;
        for (let k = 0; k < n; k++) this.bodyLen[k] = ends[idx[k]!]! - starts[idx[k]!]!;
      } else if (!this.sizeLines(n)) return false;
      const body = this.bodyLen;
      for (let k = 0; k < n; k++) {
        const b = body[k]!;
        const any = 1 + varintSize(b) + b;
        len[k]! += 1 + varintSize(any) + any;
      }
    }
    const ops = this.ops;
    for (let o = 0; o < ops.length; o++) {
      const op = ops[o]!;
      switch (op.kind) {
        case OP_STR: {
          const sources = op.sources;
          for (let k = 0; k < n; k++) {
            const i = idx[k]!;
            for (let s = 0; s < sources.length; s++) {
              const src = sources[s]!;
              const code = src.codes[i]!;
              if (code === 0) continue;
              len[k]! += (src.kv[code] ?? this.bytes.encodeSource(src, code)).length;
              break;
            }
          }
          break;
        }
        case OP_INT: {
          const values = op.values;
          const fixed = op.keyField.length + 5;
          if (fixed > 100) return false;
          for (let k = 0; k < n; k++) {
            const v = values[idx[k]!]!;
            if (Number.isNaN(v)) continue;
            if (!(v >= 0 && v <= MAX_SAFE && v === Math.floor(v))) return false;
            len[k]! += fixed + varintSize(v);
          }
          break;
        }
        case OP_DBL: {
          const values = op.values;
          const size = op.keyField.length + 13;
          for (let k = 0; k < n; k++) if (!Number.isNaN(values[idx[k]!]!)) len[k]! += size;
          break;
        }
        case OP_NUM_TEXT: {
          const values = op.values;
          const over = op.override;
          for (let k = 0; k < n; k++) {
            const i = idx[k]!;
            const v = values[i]!;
            if (Number.isNaN(v)) continue;
            const code = over === null ? 0 : over.codes[i]!;
            if (code !== 0) len[k]! += (over!.kv[code] ?? this.bytes.encodeSource(over!, code)).length;
            else if (v >= 0 && v < 256 && v === Math.floor(v))
              len[k]! += (op.small[v] ?? this.encodeSmall(op, v)).length;
            else return false;
          }
          break;
        }
        default: {
          // OP_PICK
          for (let k = 0; k < n; k++) {
            const i = idx[k]!;
            const c = op.choose!(i);
            if (c < 0) continue;
            const src = op.sources[c]!;
            const code = src.codes[i]!;
            if (code !== 0) len[k]! += (src.kv[code] ?? this.bytes.encodeSource(src, code)).length;
          }
        }
      }
    }
    return true;
  }

  /** Body text lengths of the chunk's rows into bodyLen; false for a number String() must spell. */
  private sizeLines(n: number): boolean {
    const idx = this.idx;
    const body = this.bodyLen;
    const cols = this.bodyNums.length;
    body.fill(cols > 0 ? cols - 1 : 0, 0, n);
    for (let c = 0; c < cols; c++) {
      const nums = this.bodyNums[c];
      if (nums != null) {
        for (let k = 0; k < n; k++) {
          const v = nums[idx[k]!]!;
          if (Number.isNaN(v)) body[k]!++;
          else if (v >= 0 && v <= MAX_SAFE && v === Math.floor(v)) body[k]! += digitCount(v);
          else return false;
        }
      } else {
        const cv = this.bodyValues[c]!;
        const codes = cv.codes;
        const bytes = cv.bytes;
        for (let k = 0; k < n; k++) {
          const code = codes[idx[k]!]!;
          body[k]! += code === 0 ? 1 : (bytes[code] ?? this.bytes.encodeValue(cv, code)).length;
        }
      }
    }
    return true;
  }

  /** Writes the sized rows of the chunk that fit under `limit` (at least one); returns how many. */
  private writeChunk(n: number, observed: Buffer, limit: number): number {
    const w = this.w;
    const idx = this.idx;
    const len = this.recLen;
    const cursor = this.cursor;
    // lay the records out: where each one's content starts
    let end = w.pos;
    let count = 0;
    while (count < n) {
      const l = len[count]!;
      end += 1 + varintSize(l);
      cursor[count] = end;
      end += l;
      count++;
      if (end >= limit) break;
    }
    w.ensure(end - w.pos + 8);
    const buf = w.buf;
    const time = this.time;
    const sevCodes = this.sevCodes;
    const timeKeys = this.timeKeys;
    const timeBytes = this.timeBytes;
    for (let k = 0; k < count; k++) {
      const i = idx[k]!;
      const l = len[k]!;
      let pos = cursor[k]! - 1 - varintSize(l);
      buf[pos++] = T_SL_RECORD;
      pos = putVarint(buf, pos, l);
      let t = Number.NaN;
      for (let j = 0; j < time.length; j++) {
        t = time[j]![i]!;
        if (!Number.isNaN(t)) break;
      }
      if (t > 0) {
        const slot = (t >>> 0) & (TIME_SLOTS - 1);
        if (timeKeys[slot] !== t) this.cacheTime(t, slot);
        buf[pos] = T_LR_TIME;
        for (let j = 0, b = slot * 8; j < 8; j++) buf[pos + 1 + j] = timeBytes[b + j]!;
        pos += 9;
      }
      for (let j = 0; j < 9; j++) buf[pos + j] = observed[j]!;
      pos += 9;
      pos = putBytes(buf, pos, this.sevBytes[sevCodes === null ? 0 : sevCodes[i]!]!);
      cursor[k] = pos;
    }
    if (this.bodyKind === 'line') this.writeLines(buf, count);
    // one small loop per attribute (small methods, so the byte copy inlines into each)
    const ops = this.ops;
    for (let o = 0; o < ops.length; o++) {
      const op = ops[o]!;
      switch (op.kind) {
        case OP_STR:
          if (op.sources.length === 1) this.putSingle(buf, count, op.sources[0]!);
          else this.putFirst(buf, count, op.sources);
          break;
        case OP_INT:
          this.putInts(buf, count, op);
          break;
        case OP_DBL:
          this.putDoubles(buf, count, op);
          break;
        case OP_NUM_TEXT:
          this.putNumTexts(buf, count, op);
          break;
        default:
          this.putPicks(buf, count, op);
      }
    }
    w.pos = end;
    return count;
  }

  /** A string attribute from one dictionary column. */
  private putSingle(buf: Buffer, count: number, src: Source): void {
    const idx = this.idx;
    const cursor = this.cursor;
    const codes = src.codes;
    const kv = src.kv;
    for (let k = 0; k < count; k++) {
      const code = codes[idx[k]!]!;
      if (code !== 0) cursor[k] = putBytes(buf, cursor[k]!, kv[code]!);
    }
  }

  /** A string attribute from the first of several columns that is not null. */
  private putFirst(buf: Buffer, count: number, sources: readonly Source[]): void {
    const idx = this.idx;
    const cursor = this.cursor;
    for (let k = 0; k < count; k++) {
      const i = idx[k]!;
      for (let s = 0; s < sources.length; s++) {
        const src = sources[s]!;
        const code = src.codes[i]!;
        if (code === 0) continue;
        cursor[k] = putBytes(buf, cursor[k]!, src.kv[code]!);
        break;
      }
    }
  }

  private putInts(buf: Buffer, count: number, op: Op): void {
    const idx = this.idx;
    const cursor = this.cursor;
    const values = op.values;
    const key = op.keyField;
    const klen = key.length;
    for (let k = 0; k < count; k++) {
      const v = values[idx[k]!]!;
      if (Number.isNaN(v)) continue;
      const vs = varintSize(v);
      let pos = cursor[k]!;
      buf[pos++] = T_LR_ATTR;
      buf[pos++] = klen + 3 + vs;
      pos = putBytes(buf, pos, key);
      buf[pos++] = T_KV_VALUE;
      buf[pos++] = 1 + vs;
      buf[pos++] = T_AV_INT;
      cursor[k] = putVarint(buf, pos, v);
    }
  }

  private putDoubles(buf: Buffer, count: number, op: Op): void {
    const idx = this.idx;
    const cursor = this.cursor;
    const values = op.values;
    const key = op.keyField;
    for (let k = 0; k < count; k++) {
      const v = values[idx[k]!]!;
      if (Number.isNaN(v)) continue;
      let pos = cursor[k]!;
      buf[pos++] = T_LR_ATTR;
      buf[pos++] = key.length + 11;
      pos = putBytes(buf, pos, key);
      buf[pos++] = T_KV_VALUE;
      buf[pos++] = 9;
      buf[pos++] = T_AV_DOUBLE;
      buf.writeDoubleLE(v, pos);
      cursor[k] = pos + 8;
    }
  }

  /** Text from a number: the override column's value, else the small-number cache (sized already). */
  private putNumTexts(buf: Buffer, count: number, op: Op): void {
    const idx = this.idx;
    const cursor = this.cursor;
    const values = op.values;
    const over = op.override;
    for (let k = 0; k < count; k++) {
      const i = idx[k]!;
      const v = values[i]!;
      if (Number.isNaN(v)) continue;
      const code = over === null ? 0 : over.codes[i]!;
      cursor[k] = putBytes(buf, cursor[k]!, code !== 0 ? over!.kv[code]! : op.small[v]!);
    }
  }

  private putPicks(buf: Buffer, count: number, op: Op): void {
    const idx = this.idx;
    const cursor = this.cursor;
    for (let k = 0; k < count; k++) {
      const i = idx[k]!;
      const c = op.choose!(i);
      if (c < 0) continue;
      const src = op.sources[c]!;
      const code = src.codes[i]!;
      if (code !== 0) cursor[k] = putBytes(buf, cursor[k]!, src.kv[code]!);
    }
  }

  /** The body fields of the chunk's first `count` rows, a column at a time. */
  private writeLines(buf: Buffer, count: number): void {
    const idx = this.idx;
    const body = this.bodyLen;
    const cursor = this.cursor;
    for (let k = 0; k < count; k++) {
      const b = body[k]!;
      let pos = cursor[k]!;
      buf[pos++] = T_LR_BODY;
      pos = putVarint(buf, pos, 1 + varintSize(b) + b);
      buf[pos++] = T_AV_STRING;
      cursor[k] = putVarint(buf, pos, b);
    }
    const lines = this.lineBytes;
    if (lines !== null) {
      // the original line: one copy per record
      const starts = this.lineStarts;
      const base = lines.byteOffset;
      const ab = lines.buffer;
      for (let k = 0; k < count; k++) {
        const i = idx[k]!;
        const s = starts[i]!;
        const n = body[k]!;
        buf.set(new Uint8Array(ab, base + s, n), cursor[k]!);
        cursor[k]! += n;
      }
      return;
    }
    const cols = this.bodyNums.length;
    for (let c = 0; c < cols; c++) {
      // every cell but the last is followed by its separator
      const sep = c + 1 < cols ? 1 : 0;
      const nums = this.bodyNums[c];
      if (nums != null) {
        for (let k = 0; k < count; k++) {
          const v = nums[idx[k]!]!;
          let pos = cursor[k]!;
          if (Number.isNaN(v)) buf[pos++] = DASH;
          else {
            pos += digitCount(v);
            putDigits(buf, pos, v);
          }
          if (sep) buf[pos] = SPACE;
          cursor[k] = pos + sep;
        }
      } else {
        const cv = this.bodyValues[c]!;
        const codes = cv.codes;
        const bytes = cv.bytes;
        for (let k = 0; k < count; k++) {
          const code = codes[idx[k]!]!;
          let pos = cursor[k]!;
          if (code === 0) buf[pos++] = DASH;
          else pos = putBytes(buf, pos, bytes[code]!);
          if (sep) buf[pos] = SPACE;
          cursor[k] = pos + sep;
        }
      }
    }
  }

  /** Writes one LogRecord field (tag, length, record) for row i; `observed` is the 9-byte observed-time field. */
  write(i: number, observed: Buffer): void {
    if (this.pending !== null) this.compile();
    const w = this.w;
    w.ensure(64);
    let buf = w.buf;
    let pos = w.pos;
    buf[pos++] = T_SL_RECORD;
    pos += 2;
    const mark = pos;

    // timeUnixNano: the first time column that is not null
    const time = this.time;
    let t = Number.NaN;
    for (let k = 0; k < time.length; k++) {
      t = time[k]![i]!;
      if (!Number.isNaN(t)) break;
    }
    if (t > 0) {
      const slot = (t >>> 0) & (TIME_SLOTS - 1);
      if (this.timeKeys[slot] !== t) this.cacheTime(t, slot);
      buf[pos] = T_LR_TIME;
      for (let j = 0, b = slot * 8; j < 8; j++) buf[pos + 1 + j] = this.timeBytes[b + j]!;
      pos += 9;
    }
    for (let j = 0; j < 9; j++) buf[pos + j] = observed[j]!;
    pos += 9;

    // severity number and text, encoded once per action code
    const sevCode = this.sevCodes === null ? 0 : this.sevCodes[i]!;
    let b = this.sevBytes[sevCode] ?? this.encodeSeverity(sevCode);
    if (pos + b.length > buf.length) {
      w.pos = pos;
      w.ensure(b.length);
      buf = w.buf;
    }
    pos = putBytes(buf, pos, b);

    // body
    if (this.bodyKind === 'line') {
      w.pos = pos;
      this.writeLine(i);
      buf = w.buf;
      pos = w.pos;
    } else if (this.bodyKind === 'text') {
      const text = this.bodyText!(i);
      if (text !== null) {
        w.pos = pos;
        this.writeBodyString(text);
        buf = w.buf;
        pos = w.pos;
      }
    }

    // attributes
    const ops = this.ops;
    for (let o = 0; o < ops.length; o++) {
      const op = ops[o]!;
      switch (op.kind) {
        case OP_STR: {
          const sources = op.sources;
          for (let k = 0; k < sources.length; k++) {
            const src = sources[k]!;
            const code = src.codes[i]!;
            if (code === 0) continue;
            b = src.kv[code] ?? this.bytes.encodeSource(src, code);
            if (pos + b.length > buf.length) {
              w.pos = pos;
              w.ensure(b.length);
              buf = w.buf;
            }
            pos = putBytes(buf, pos, b);
            break;
          }
          break;
        }
        case OP_INT: {
          const v = op.values[i]!;
          if (Number.isNaN(v)) break;
          const key = op.keyField;
          if (v >= 0 && v <= MAX_SAFE && v === Math.floor(v) && key.length < 100) {
            const vs = varintSize(v);
            if (pos + key.length + 16 > buf.length) {
              w.pos = pos;
              w.ensure(key.length + 16);
              buf = w.buf;
            }
            buf[pos++] = T_LR_ATTR;
            buf[pos++] = key.length + 3 + vs;
            pos = putBytes(buf, pos, key);
            buf[pos++] = T_KV_VALUE;
            buf[pos++] = 1 + vs;
            buf[pos++] = T_AV_INT;
            pos = putVarint(buf, pos, v);
          } else {
            w.pos = pos;
            this.fallback.int(op.key, v);
            buf = w.buf;
            pos = w.pos;
          }
          break;
        }
        case OP_DBL: {
          const v = op.values[i]!;
          if (Number.isNaN(v)) break;
          w.pos = pos;
          this.fallback.dbl(op.key, v);
          buf = w.buf;
          pos = w.pos;
          break;
        }
        case OP_NUM_TEXT: {
          const v = op.values[i]!;
          if (Number.isNaN(v)) break;
          const over = op.override;
          const code = over === null ? 0 : over.codes[i]!;
          if (code !== 0) b = over!.kv[code] ?? this.bytes.encodeSource(over!, code);
          else if (v >= 0 && v < 256 && v === Math.floor(v)) b = op.small[v] ?? this.encodeSmall(op, v);
          else {
            const text = op.text!(v);
            if (text !== null) {
              w.pos = pos;
              this.fallback.str(op.key, text);
              buf = w.buf;
              pos = w.pos;
            }
            break;
          }
          if (pos + b.length > buf.length) {
            w.pos = pos;
            w.ensure(b.length);
            buf = w.buf;
          }
          pos = putBytes(buf, pos, b);
          break;
        }
        case OP_PICK: {
          const k = op.choose!(i);
          if (k < 0) break;
          const src = op.sources[k]!;
          const code = src.codes[i]!;
          if (code === 0) break;
          b = src.kv[code] ?? this.bytes.encodeSource(src, code);
          if (pos + b.length > buf.length) {
            w.pos = pos;
            w.ensure(b.length);
            buf = w.buf;
          }
          pos = putBytes(buf, pos, b);
          break;
        }
        default:
          w.pos = pos;
          op.row!(i, this.fallback);
          buf = w.buf;
          pos = w.pos;
      }
    }
    w.pos = pos;
    w.endLen(mark, 2);
  }

  /** The body as the record line: the original bytes, else cell lengths first (cached per code, digit counts), then bytes. */
  private writeLine(i: number): void {
    const lines = this.lineBytes;
    if (lines !== null) {
      const s = this.lineStarts[i]!;
      const n = this.lineEnds[i]! - s;
      const w = this.w;
      w.ensure(n + 16);
      const buf = w.buf;
      let pos = w.pos;
      buf[pos++] = T_LR_BODY;
      pos = putVarint(buf, pos, 1 + varintSize(n) + n);
      buf[pos++] = T_AV_STRING;
      pos = putVarint(buf, pos, n);
      buf.set(new Uint8Array(lines.buffer, lines.byteOffset + s, n), pos);
      w.pos = pos + n;
      return;
    }
    const nums = this.bodyNums;
    const values = this.bodyValues;
    const cells = this.cells;
    const lens = this.cellLen;
    const cols = nums.length;
    let total = cols > 0 ? cols - 1 : 0;
    for (let c = 0; c < cols; c++) {
      const col = nums[c];
      let n: number;
      if (col != null) {
        const v = col[i]!;
        if (Number.isNaN(v)) {
          cells[c] = DASH_BYTES;
          n = 1;
        } else if (v >= 0 && v <= MAX_SAFE && v === Math.floor(v)) {
          cells[c] = null;
          n = digitCount(v);
        } else {
          // fractions, negatives, huge values: rare, let String() spell them
          this.writeBodyString(this.lineText(i));
          return;
        }
      } else {
        const cv = values[c]!;
        const code = cv.codes[i]!;
        const b = code === 0 ? DASH_BYTES : (cv.bytes[code] ?? this.bytes.encodeValue(cv, code));
        cells[c] = b;
        n = b.length;
      }
      lens[c] = n;
      total += n;
    }
    const any = 1 + varintSize(total) + total;
    const w = this.w;
    w.ensure(any + 8);
    const buf = w.buf;
    let pos = w.pos;
    buf[pos++] = T_LR_BODY;
    pos = putVarint(buf, pos, any);
    buf[pos++] = T_AV_STRING;
    pos = putVarint(buf, pos, total);
    for (let c = 0; c < cols; c++) {
      if (c > 0) buf[pos++] = SPACE;
      const b = cells[c];
      if (b != null) pos = putBytes(buf, pos, b);
      else {
        const n = lens[c]!;
        putDigits(buf, pos + n, nums[c]![i]!);
        pos += n;
      }
    }
    w.pos = pos;
  }

  private writeBodyString(text: string): void {
    const w = this.w;
    const n = Buffer.byteLength(text, 'utf8');
    const any = 1 + varintSize(n) + n;
    w.ensure(n + 16);
    w.byte(T_LR_BODY);
    w.varint(any);
    w.byte(T_AV_STRING);
    w.varint(n);
    w.pos += w.buf.write(text, w.pos, 'utf8');
  }

  /** Encodes time t into its cache slot. */
  private cacheTime(t: number, slot: number): void {
    // seconds (fractional allowed) × 1e9 as two 32-bit halves, exact without BigInt
    const whole = Math.floor(t);
    const frac = Math.round((t - whole) * 1e9);
    const p2 = Math.floor(whole / 65536) * 1e9;
    const p1 = (whole % 65536) * 1e9 + frac;
    let lo = (p2 % 65536) * 65536 + (p1 % 4294967296);
    let hi = Math.floor(p2 / 65536) + Math.floor(p1 / 4294967296);
    if (lo >= 4294967296) {
      hi += Math.floor(lo / 4294967296);
      lo %= 4294967296;
    }
    this.timeKeys[slot] = t;
    const b = slot * 8;
    const bytes = this.timeBytes;
    hi >>>= 0;
    for (let j = 0; j < 4; j++) {
      bytes[b + j] = lo & 0xff;
      bytes[b + 4 + j] = hi & 0xff;
      lo = Math.floor(lo / 256);
      hi >>>= 8;
    }
  }

  /** The KeyValue of numText op `op` for a small integer value v. */
  private encodeSmall(op: Op, v: number): Uint8Array {
    const text = op.text!(v);
    const b = text === null ? NOTHING : this.bytes.putKeyValue(op.key, text);
    op.small[v] = b;
    return b;
  }

  /** Severity number and text fields for action code `code` (0: null). */
  private encodeSeverity(code: number): Uint8Array {
    const action = code === 0 ? null : this.sevDict[code]!;
    const b = this.bytes.severity(this.sevNumber(action), this.sevText(action));
    this.sevBytes[code] = b;
    return b;
  }
}
