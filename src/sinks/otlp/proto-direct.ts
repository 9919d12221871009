import type { LineText, StrColumn } from '../../batch/flow-batch.js';
import type { AttributeWriter, OtelPlan, OtelStrSource } from '../../schema/types.js';

import { putBytes, putVarint, utf8Length, writeUtf8 } from './proto-bytes.js';
import {
  T_ARRAY_VALUE,
  T_AV_ARRAY,
  T_AV_DOUBLE,
  T_AV_INT,
  T_AV_STRING,
  T_KV_KEY,
  T_KV_VALUE,
  T_LR_ATTR,
  T_LR_BODY,
  T_LR_OBSERVED,
  T_LR_TIME,
  T_SL_RECORD,
} from './proto-tags.js';
import type { ProtoWriter } from './proto-writer.js';
import { nanosHalves, varintSize, writeSeverity } from './proto-writer.js';
import { copyWords, WordArena } from './word-arena.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Bytes kept free past the write limit: a word copy may run 7 bytes beyond what it writes. */
const SLACK = 16;
/** Cached record times (a power of two). */
const TIME_SLOTS = 4096;
/** Longest attribute key the integer template handles (its lengths must fit one byte). */
const MAX_TEMPLATE_KEY = 100;

const K_STR = 0;
const K_FIRST = 1;
const K_INT = 2;
const K_DBL = 3;
const K_NUM_TEXT = 4;
const K_PICK = 5;
const K_LIST = 6;
const K_ROW = 7;
const K_FIXED = 8;

/**
 * A string source: per dictionary code, where its whole KeyValue field sits in the arena and its
 * length, side by side (`at[2 × code]`, -1: not encoded yet; `at[2 × code + 1]`).
 */
class Source {
  readonly codes: Uint32Array;
  readonly dict: readonly string[];
  readonly at: Int32Array;
  constructor(
    column: StrColumn,
    /** The `key` field when the attribute is `key` = the value. */
    readonly keyField: Buffer,
    readonly entry: ((value: string) => readonly [string, string] | null) | null,
    /** False for a K_FIXED op's column, whose bytes are copied from its text instead: no `at`. */
    perCode = true,
  ) {
    this.codes = column.codes;
    this.dict = column.dict;
    this.at = perCode ? new Int32Array(column.dict.length * 2).fill(-1) : new Int32Array(0);
  }
}

/** One compiled attribute; one shape for every kind keeps the record loop monomorphic. */
class Op {
  kind = K_STR;
  key = '';
  sources: Source[] = [];
  src: Source | null = null;
  values: Float64Array = new Float64Array(0);
  /** int/dbl: arena offset and length of [tag, len, key field, value tag, len, type tag]. */
  tpl = 0;
  tplLen = 0;
  keyLen = 0;
  /** numText: the override column, and the KeyValue of small integer values (-1: not yet). */
  over: Source | null = null;
  smallOff = new Int32Array(0);
  smallLen = new Int32Array(0);
  text: ((value: number) => string | null) | null = null;
  choose: ((i: number) => number) | null = null;
  /** list: the rows' lists, and where each list's KeyValue sits in the arena (by the list itself). */
  lists: readonly (readonly string[] | null)[] = [];
  listAt: Map<readonly string[], readonly [at: number, len: number]> | null = null;
  /** row: the plan's own writer for this attribute (a column of an unexpected kind). */
  row: ((i: number, out: AttributeWriter) => void) | null = null;
  /** fixed: the column's text bytes (FixedWidthText) and a view of them; `tpl` holds the KeyValue's head. */
  fixedBytes: Uint8Array = new Uint8Array(0);
  fixedView: DataView = new DataView(new ArrayBuffer(0));
  width = 0;
}

/**
 * The OTLP sink's record writer: LogRecords from a batch's compiled OtelPlan, row after row,
 * straight into the request buffer. Every piece encoded once per batch (KeyValue per dictionary
 * code and per list, severity per action code, the constant part of each integer attribute) sits
 * in a word arena and is copied 8 bytes at a time; the body is the original line, copied the same
 * way. A record's length goes into two reserved bytes afterwards (moved in the rare record
 * shorter than 128 or longer than 16383 bytes), so nothing is sized beforehand. What no op
 * covers (negative or fractional numbers, a column of an unexpected kind, a body made per row)
 * is written through the encoder's AttributeWriter. Output is byte for byte what the reference
 * writer (ProtoRequestEncoder.record, the mapping's visitor) produces: test/sinks/otlp-writer.test.ts.
 */
export class DirectRecordWriter {
  private readonly arena = new WordArena();
  private readonly keyFields = new Map<string, Buffer>();
  private ops: Op[] = [];
  private time: Float64Array[] = [];
  private sevCodes: Uint32Array | null = null;
  private sevDict: readonly string[] = [''];
  private sevOff = new Int32Array(0);
  private sevLen = new Int32Array(0);
  private sevNumber: (v: string | null) => number = () => 0;
  private sevText: (v: string | null) => string = () => '';
  private lines: Uint8Array | null = null;
  /** The body of a row when the batch has no original lines (or the body is made per row). */
  private bodyText: ((i: number) => string | null) | null = null;
  private linesView: DataView = new DataView(new ArrayBuffer(0));
  private starts: Uint32Array = new Uint32Array(0);
  private ends: Uint32Array = new Uint32Array(0);
  private readonly timeKeys = new Float64Array(TIME_SLOTS).fill(Number.NaN);
  private readonly timeWords = new Float64Array(TIME_SLOTS);
  private readonly timeView = new DataView(this.timeWords.buffer);
  private readonly observedWord = new Float64Array(1);
  private readonly observedBytes = new Uint8Array(this.observedWord.buffer);
  private view: DataView = new DataView(new ArrayBuffer(0));
  private viewOf: Buffer | null = null;

  constructor(
    private readonly w: ProtoWriter,
    /** Writes what the templates do not cover (negative or fractional integers, per-row bodies…). */
    private readonly fallback: AttributeWriter & { body(text: string): void },
  ) {}

  /**
   * Compiles a batch's plan. `text` is the batch's original lines, valid UTF-8 (a protobuf
   * string must be), if it has them; `line` gives a row's line when it has not.
   */
  load(plan: OtelPlan, text: LineText | undefined, line: (i: number) => string): void {
    const body = plan.body;
    this.lines = null;
    this.bodyText = null;
    if (body.kind === 'text') this.bodyText = body.text;
    else if (body.kind === 'line') {
      if (text === undefined) this.bodyText = line;
      else {
        this.lines = text.bytes;
        this.linesView = new DataView(text.bytes.buffer, text.bytes.byteOffset, text.bytes.byteLength);
        this.starts = text.starts;
        this.ends = text.ends;
      }
    }
    const ops: Op[] = [];
    for (const a of plan.attributes) {
      const op = new Op();
      switch (a.kind) {
        case 'str':
          if (a.sources.length === 1 && this.fixed(op, a.sources[0]!)) break;
          op.sources = a.sources.map((s) => this.source(s));
          op.kind = op.sources.length === 1 ? K_STR : K_FIRST;
          op.src = op.sources[0] ?? null;
          if (op.src === null) continue;
          break;
        case 'int':
        case 'dbl':
          op.kind = a.kind === 'int' ? K_INT : K_DBL;
          op.key = a.key;
          op.values = a.values;
          // a key too long for the one-byte lengths of the template: written as any other value
          if (this.keyField(a.key).length >= MAX_TEMPLATE_KEY) {
            const { key, values } = a;
            op.kind = K_ROW;
            op.row =
              a.kind === 'int'
                ? (i, out) => {
                    if (!Number.isNaN(values[i]!)) out.int(key, values[i]!);
                  }
                : (i, out) => {
                    if (!Number.isNaN(values[i]!)) out.dbl(key, values[i]!);
                  };
          }
          break;
        case 'numText':
          op.kind = K_NUM_TEXT;
          op.key = a.key;
          op.values = a.values;
          op.over = a.override ? this.source({ column: a.override, key: a.key }) : null;
          op.smallOff = new Int32Array(256).fill(-1);
          op.smallLen = new Int32Array(256);
          op.text = a.text;
          break;
        case 'pick':
          op.kind = K_PICK;
          op.key = a.key;
          op.sources = a.columns.map((column) => this.source({ column, key: a.key }));
          op.choose = a.choose;
          break;
        case 'strList':
          op.kind = K_LIST;
          op.key = a.key;
          op.lists = a.values;
          op.listAt = new Map();
          break;
        default:
          op.kind = K_ROW;
          op.row = a.write;
      }
      ops.push(op);
    }
    this.ops = ops;
    this.arena.reset();
    this.entries.clear();
    for (const op of ops) {
      if (op.kind === K_INT || op.kind === K_DBL) this.template(op);
      else if (op.kind === K_FIXED) this.fixedTemplate(op);
    }
    this.time = [...plan.time];
    const sev = plan.severity;
    this.sevNumber = sev.number;
    this.sevText = sev.text;
    this.sevCodes = sev.column ? sev.column.codes : null;
    this.sevDict = sev.column ? sev.column.dict : [''];
    this.sevOff = new Int32Array(this.sevDict.length).fill(-1);
    this.sevLen = new Int32Array(this.sevDict.length);
  }

  /**
   * Writes LogRecords for rows[from…to) until the buffer holds `limit` bytes or more (the record
   * crossing it included); returns the index after the last row written, at least from + 1.
   * `observed` is the request's 9-byte observedTimeUnixNano field.
   */
  writeRows(rows: Int32Array, from: number, to: number, observed: Buffer, limit: number): number {
    const w = this.w;
    this.observedBytes.set(observed.subarray(1, 9));
    const observedWord = this.observedWord;
    const time = this.time;
    const timeKeys = this.timeKeys;
    const timeWords = this.timeWords;
    const sevCodes = this.sevCodes;
    const sevOff = this.sevOff;
    const sevLen = this.sevLen;
    const lines = this.lines;
    const bodyText = this.bodyText;
    const linesView = this.linesView;
    const linesEnd = lines === null ? 0 : lines.length;
    const starts = this.starts;
    const ends = this.ends;
    const ops = this.ops;
    const nops = ops.length;
    let words = this.arena.words;
    let buf = w.buf;
    let dv = this.dataView(buf);
    let cap = buf.length - SLACK;
    let pos = w.pos;
    let r = from;
    while (r < to) {
      const i = rows[r]!;
      if (pos + 64 > cap) {
        this.grow(pos, 64);
        buf = w.buf;
        dv = this.dataView(buf);
        cap = buf.length - SLACK;
      }
      buf[pos] = T_SL_RECORD;
      const start = pos + 3;
      pos = start;
      // timeUnixNano: the first time column that is not null, cached by the second
      let t = Number.NaN;
      for (let j = 0; j < time.length; j++) {
        t = time[j]![i]!;
        if (!Number.isNaN(t)) break;
      }
      if (t > 0) {
        const slot = (t >>> 0) & (TIME_SLOTS - 1);
        if (timeKeys[slot] !== t) this.cacheTime(t, slot);
        buf[pos] = T_LR_TIME;
        dv.setFloat64(pos + 1, timeWords[slot]!, true);
        pos += 9;
      }
      buf[pos] = T_LR_OBSERVED;
      dv.setFloat64(pos + 1, observedWord[0]!, true);
      pos += 9;
      // severity number and text, encoded once per action code
      const sc = sevCodes === null ? 0 : sevCodes[i]!;
      let at = sevOff[sc]!;
      if (at < 0) {
        at = this.encodeSeverity(sc);
        words = this.arena.words;
      }
      const sl = sevLen[sc]!;
      if (pos + sl > cap) {
        this.grow(pos, sl);
        buf = w.buf;
        dv = this.dataView(buf);
        cap = buf.length - SLACK;
      }
      pos = copyWords(dv, pos, words, at, sl);
      if (lines !== null) {
        // the body: the original line, 8 bytes at a time
        const s = starts[i]!;
        const n = ends[i]! - s;
        if (pos + n + 24 > cap) {
          this.grow(pos, n + 24);
          buf = w.buf;
          dv = this.dataView(buf);
          cap = buf.length - SLACK;
        }
        buf[pos++] = T_LR_BODY;
        pos = putVarint(buf, pos, 1 + varintSize(n) + n);
        buf[pos++] = T_AV_STRING;
        pos = putVarint(buf, pos, n);
        const end = pos + n;
        if (s + n + 8 <= linesEnd) {
          for (let q = s; pos < end; pos += 8, q += 8)
            dv.setFloat64(pos, linesView.getFloat64(q, true), true);
        } else buf.set(lines.subarray(s, s + n), pos);
        pos = end;
      } else if (bodyText !== null) {
        const text = bodyText(i);
        if (text !== null) {
          w.pos = pos;
          this.fallback.body(text);
          pos = w.pos;
          buf = w.buf;
          dv = this.dataView(buf);
          cap = buf.length - SLACK;
        }
      }
      for (let o = 0; o < nops; o++) {
        const op = ops[o]!;
        let src: Source | null = null;
        let code = 0;
        switch (op.kind) {
          case K_STR:
            src = op.src!;
            code = src.codes[i]!;
            break;
          case K_FIRST: {
            const sources = op.sources;
            for (let k = 0; k < sources.length; k++) {
              code = sources[k]!.codes[i]!;
              if (code !== 0) {
                src = sources[k]!;
                break;
              }
            }
            break;
          }
          case K_INT: {
            const v = op.values[i]!;
            if (Number.isNaN(v)) continue;
            if (pos + op.tplLen + 16 > cap) {
              this.grow(pos, op.tplLen + 16);
              buf = w.buf;
              dv = this.dataView(buf);
              cap = buf.length - SLACK;
            }
            let u = v | 0;
            if (u === v && u >= 0) {
              // the common case, a 31-bit integer: varint in integer arithmetic
              const vs = u < 0x80 ? 1 : u < 0x4000 ? 2 : u < 0x200000 ? 3 : u < 0x10000000 ? 4 : 5;
              const p = pos;
              pos = copyWords(dv, pos, words, op.tpl, op.tplLen);
              buf[p + 1] = op.keyLen + 3 + vs;
              buf[pos - 2] = 1 + vs;
              while (u > 0x7f) {
                buf[pos++] = (u & 0x7f) | 0x80;
                u >>>= 7;
              }
              buf[pos++] = u;
            } else if (v >= 0 && v <= MAX_SAFE && v === Math.floor(v)) {
              const vs = varintSize(v);
              const p = pos;
              pos = copyWords(dv, pos, words, op.tpl, op.tplLen);
              buf[p + 1] = op.keyLen + 3 + vs;
              buf[pos - 2] = 1 + vs;
              pos = putVarint(buf, pos, v);
            } else {
              w.pos = pos;
              this.fallback.int(op.key, v);
              pos = w.pos;
              buf = w.buf;
              dv = this.dataView(buf);
              cap = buf.length - SLACK;
            }
            continue;
          }
          case K_DBL: {
            const v = op.values[i]!;
            if (Number.isNaN(v)) continue;
            if (pos + op.tplLen + 16 > cap) {
              this.grow(pos, op.tplLen + 16);
              buf = w.buf;
              dv = this.dataView(buf);
              cap = buf.length - SLACK;
            }
            pos = copyWords(dv, pos, words, op.tpl, op.tplLen);
            buf.writeDoubleLE(v, pos);
            pos += 8;
            continue;
          }
          case K_NUM_TEXT: {
            const v = op.values[i]!;
            if (Number.isNaN(v)) continue;
            const over = op.over;
            code = over === null ? 0 : over.codes[i]!;
            if (code !== 0) {
              src = over;
              break;
            }
            if (v >= 0 && v < 256 && v === Math.floor(v)) {
              let a = op.smallOff[v]!;
              if (a < 0) {
                a = this.encodeSmall(op, v);
                words = this.arena.words;
              }
              const n = op.smallLen[v]!;
              if (pos + n > cap) {
                this.grow(pos, n);
                buf = w.buf;
                dv = this.dataView(buf);
                cap = buf.length - SLACK;
              }
              pos = copyWords(dv, pos, words, a, n);
            } else {
              const text = op.text!(v);
              if (text !== null) {
                w.pos = pos;
                this.fallback.str(op.key, text);
                pos = w.pos;
                buf = w.buf;
                dv = this.dataView(buf);
                cap = buf.length - SLACK;
              }
            }
            continue;
          }
          case K_PICK: {
            const c = op.choose!(i);
            if (c < 0) continue;
            src = op.sources[c]!;
            code = src.codes[i]!;
            break;
          }
          case K_FIXED: {
            // an id of its own per row (community id, record uid): its bytes as the enricher made them
            code = op.src!.codes[i]!;
            if (code === 0) continue;
            const n = op.tplLen + op.width;
            if (pos + n > cap) {
              this.grow(pos, n);
              buf = w.buf;
              dv = this.dataView(buf);
              cap = buf.length - SLACK;
            }
            pos = copyWords(dv, pos, words, op.tpl, op.tplLen);
            const from = (code - 1) * op.width;
            const end = pos + op.width;
            if (from + op.width + 8 <= op.fixedBytes.length) {
              const fv = op.fixedView;
              for (let q = from; pos < end; pos += 8, q += 8)
                dv.setFloat64(pos, fv.getFloat64(q, true), true);
            } else buf.set(op.fixedBytes.subarray(from, from + op.width), pos);
            pos = end;
            continue;
          }
          case K_LIST: {
            const list = op.lists[i];
            if (list == null) continue;
            let kv = op.listAt!.get(list);
            if (kv === undefined) {
              kv = this.encodeList(op, list);
              words = this.arena.words;
            }
            const n = kv[1];
            if (pos + n > cap) {
              this.grow(pos, n);
              buf = w.buf;
              dv = this.dataView(buf);
              cap = buf.length - SLACK;
            }
            pos = copyWords(dv, pos, words, kv[0], n);
            continue;
          }
          default: {
            // K_ROW
            w.pos = pos;
            op.row!(i, this.fallback);
            pos = w.pos;
            buf = w.buf;
            dv = this.dataView(buf);
            cap = buf.length - SLACK;
            continue;
          }
        }
        if (code === 0 || src === null) continue;
        const at = src.at;
        let a = at[2 * code]!;
        if (a < 0) {
          a = this.encodeSource(src, code);
          words = this.arena.words;
        }
        const n = at[2 * code + 1]!;
        if (pos + n > cap) {
          this.grow(pos, n);
          buf = w.buf;
          dv = this.dataView(buf);
          cap = buf.length - SLACK;
        }
        pos = copyWords(dv, pos, words, a, n);
      }
      // the record's length into the two bytes reserved before it
      const len = pos - start;
      if (len >= 128 && len < 16384) {
        buf[start - 2] = (len & 0x7f) | 0x80;
        buf[start - 1] = len >>> 7;
      } else {
        w.pos = pos;
        w.endLen(start, 2);
        pos = w.pos;
        buf = w.buf;
        dv = this.dataView(buf);
        cap = buf.length - SLACK;
      }
      r++;
      if (pos >= limit) break;
    }
    w.pos = pos;
    return r;
  }

  /** Room for n more bytes (plus the slack) at pos: the writer's buffer may be replaced. */
  private grow(pos: number, n: number): void {
    this.w.pos = pos;
    this.w.ensure(n + SLACK * 2);
  }

  private dataView(buf: Buffer): DataView {
    if (buf !== this.viewOf) {
      this.viewOf = buf;
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    return this.view;
  }

  private source(s: OtelStrSource): Source {
    return new Source(s.column, this.keyField(s.key), s.entry ?? null);
  }

  /** The `key` field (tag, length, UTF-8) of an attribute key, kept across batches. */
  private keyField(key: string): Buffer {
    let k = this.keyFields.get(key);
    if (k === undefined) {
      const n = Buffer.byteLength(key, 'utf8');
      k = Buffer.alloc(1 + varintSize(n) + n);
      k[0] = T_KV_KEY;
      k.write(key, putVarint(k, 1, n), 'utf8');
      this.keyFields.set(key, k);
    }
    return k;
  }

  /**
   * Makes `op` a K_FIXED op when its one column carries its text as fixed-width bytes, the
   * attribute is the column's value under its own key and every length fits one byte. Why a
   * kind of its own: the community id and the record uid differ on every row, so K_STR would
   * encode each into the arena once and copy it once; with the default enrichers that encoding
   * (putKeyValue) took about a fifth of the writer's time in a CPU profile of 1 M records, and
   * K_FIXED leaves a quarter of it. test/sinks/otlp-writer.test.ts checks both against the
   * reference writer.
   */
  private fixed(op: Op, s: OtelStrSource): boolean {
    const text = s.column.fixedText;
    if (text === undefined || s.entry !== undefined || text.width >= 126) return false;
    const key = this.keyField(s.key);
    const valueLen = 2 + text.width;
    const attrLen = key.length + 2 + valueLen;
    if (attrLen >= 128 || text.bytes.length < (s.column.dict.length - 1) * text.width) return false;
    op.kind = K_FIXED;
    op.key = s.key;
    op.src = new Source(s.column, key, null, false);
    op.fixedBytes = text.bytes;
    op.fixedView = new DataView(text.bytes.buffer, text.bytes.byteOffset, text.bytes.byteLength);
    op.width = text.width;
    return true;
  }

  /** [attribute tag, length, key field, value tag, length, string tag, length] of a K_FIXED op. */
  private fixedTemplate(op: Op): void {
    const key = this.keyField(op.key);
    const n = key.length + 6;
    const at = this.arena.alloc(n);
    const b = this.arena.bytes;
    b[at] = T_LR_ATTR;
    b[at + 1] = key.length + 4 + op.width;
    b.set(key, at + 2);
    b[at + 2 + key.length] = T_KV_VALUE;
    b[at + 3 + key.length] = 2 + op.width;
    b[at + 4 + key.length] = T_AV_STRING;
    b[at + 5 + key.length] = op.width;
    op.tpl = at;
    op.tplLen = n;
  }

  /** [attribute tag, length, key field, value tag, length, type tag] of an int or double op. */
  private template(op: Op): void {
    const key = this.keyField(op.key);
    const n = key.length + 5;
    const at = this.arena.alloc(n);
    const b = this.arena.bytes;
    const dbl = op.kind === K_DBL;
    b[at] = T_LR_ATTR;
    b[at + 1] = dbl ? key.length + 11 : 0;
    b.set(key, at + 2);
    b[at + 2 + key.length] = T_KV_VALUE;
    b[at + 3 + key.length] = dbl ? 9 : 0;
    b[at + 4 + key.length] = dbl ? T_AV_DOUBLE : T_AV_INT;
    op.tpl = at;
    op.tplLen = n;
    op.keyLen = key.length;
  }

  /** A string KeyValue field into the arena; returns its offset, its length in `lenOut`. */
  private putKeyValue(key: Buffer, value: string): number {
    const arena = this.arena;
    const k = key.length;
    const chars = value.length;
    if (k + chars + 6 < 128) {
      // every length fits one byte if the value is ASCII (addresses, ids): one pass over it
      const at = arena.alloc(k + chars + 6);
      const b = arena.bytes;
      const textAt = at + k + 6;
      let ascii = true;
      for (let j = 0; j < chars; j++) {
        const c = value.charCodeAt(j);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        b[textAt + j] = c;
      }
      if (ascii) {
        b[at] = T_LR_ATTR;
        b[at + 1] = k + chars + 4;
        for (let j = 0; j < k; j++) b[at + 2 + j] = key[j]!;
        b[at + 2 + k] = T_KV_VALUE;
        b[at + 3 + k] = chars + 2;
        b[at + 4 + k] = T_AV_STRING;
        b[at + 5 + k] = chars;
        this.lastLen = k + chars + 6;
        return at;
      }
      arena.trim(at, at);
    }
    const n = utf8Length(value);
    const at = arena.alloc(key.length + n + 16);
    const b = arena.bytes;
    const any = 1 + varintSize(n) + n;
    let pos = at;
    b[pos++] = T_LR_ATTR;
    pos = putVarint(b, pos, key.length + 1 + varintSize(any) + any);
    pos = putBytes(b, pos, key);
    b[pos++] = T_KV_VALUE;
    pos = putVarint(b, pos, any);
    b[pos++] = T_AV_STRING;
    pos = putVarint(b, pos, n);
    pos += writeUtf8(b, pos, value);
    arena.trim(at, pos);
    this.lastLen = pos - at;
    return at;
  }

  private lastLen = 0;
  /** Entries encoded in this batch ([arena offset, length]), by the entry itself and by its text. */
  private readonly entries = new Map<readonly [string, string] | string, readonly [number, number]>();

  /** The KeyValue of a source's code, on first use in the batch. */
  private encodeSource(src: Source, code: number): number {
    const value = src.dict[code]!;
    let at = 0;
    let len = 0;
    if (src.entry === null) {
      at = this.putKeyValue(src.keyField, value);
      len = this.lastLen;
    } else {
      const kv = src.entry(value);
      if (kv !== null) {
        // many codes give one entry (an address family, a direction): encoded once per batch
        const known = this.entries.get(kv) ?? this.entries.get(`${kv[0]}\u0000${kv[1]}`);
        if (known !== undefined) {
          at = known[0];
          len = known[1];
        } else {
          at = this.putKeyValue(this.keyField(kv[0]), kv[1]);
          len = this.lastLen;
          this.entries.set(kv, [at, len]);
          this.entries.set(`${kv[0]}\u0000${kv[1]}`, [at, len]);
        }
      }
    }
    src.at[2 * code] = at;
    src.at[2 * code + 1] = len;
    return at;
  }

  /**
   * The KeyValue of a list attribute (an array of strings), on first use of that list in the
   * batch: enrichers hand out one array per distinct value (the TCP flag names of a bitmask), so
   * the list itself is the key.
   */
  private encodeList(op: Op, list: readonly string[]): readonly [number, number] {
    const key = this.keyField(op.key);
    let chars = 0;
    for (const s of list) chars += s.length;
    const arena = this.arena;
    const at = arena.alloc(key.length + chars * 3 + list.length * 16 + 32);
    const b = arena.bytes;
    let arr = 0;
    for (const s of list) {
      const n = utf8Length(s);
      const av = 1 + varintSize(n) + n;
      arr += 1 + varintSize(av) + av;
    }
    const any = 1 + varintSize(arr) + arr;
    let pos = at;
    b[pos++] = T_LR_ATTR;
    pos = putVarint(b, pos, key.length + 1 + varintSize(any) + any);
    pos = putBytes(b, pos, key);
    b[pos++] = T_KV_VALUE;
    pos = putVarint(b, pos, any);
    b[pos++] = T_AV_ARRAY;
    pos = putVarint(b, pos, arr);
    for (const s of list) {
      const n = utf8Length(s);
      b[pos++] = T_ARRAY_VALUE;
      pos = putVarint(b, pos, 1 + varintSize(n) + n);
      b[pos++] = T_AV_STRING;
      pos = putVarint(b, pos, n);
      pos += writeUtf8(b, pos, s);
    }
    arena.trim(at, pos);
    const kv = [at, pos - at] as const;
    op.listAt!.set(list, kv);
    return kv;
  }

  /** The KeyValue of numText op `op` for a small integer value v. */
  private encodeSmall(op: Op, v: number): number {
    const text = op.text!(v);
    let at = 0;
    let len = 0;
    if (text !== null) {
      at = this.putKeyValue(this.keyField(op.key), text);
      len = this.lastLen;
    }
    op.smallOff[v] = at;
    op.smallLen[v] = len;
    return at;
  }

  /** Severity number and text fields for action code `code` (0: null). */
  private encodeSeverity(code: number): number {
    const action = code === 0 ? null : this.sevDict[code]!;
    const num = this.sevNumber(action);
    const text = this.sevText(action);
    const arena = this.arena;
    const at = arena.alloc(text.length * 3 + 24);
    const b = arena.bytes;
    const pos = writeSeverity(b, at, num, text);
    arena.trim(at, pos);
    this.sevOff[code] = at;
    this.sevLen[code] = pos - at;
    return at;
  }

  /** Encodes time t (seconds) as fixed64 nanoseconds into its cache slot, exact without BigInt. */
  private cacheTime(t: number, slot: number): void {
    const [lo, hi] = nanosHalves(t);
    this.timeKeys[slot] = t;
    this.timeView.setUint32(slot * 8, lo >>> 0, true);
    this.timeView.setUint32(slot * 8 + 4, hi >>> 0, true);
  }
}
