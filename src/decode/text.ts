import {
  type Column,
  type DictKeys,
  FlowBatch,
  type LineText,
  type SourceRef,
  type StrColumn,
} from '../batch/flow-batch.js';
import { grown } from '../batch/grown.js';
import type { RunStats } from '../core/stats.js';
import { type LineTranscoder, TRANSCODE_DONE, TRANSCODE_SLOW } from '../core/types.js';
import type { FieldDef } from '../fields/catalog.js';
import { domainProblem, textCheck } from '../fields/domain.js';
import {
  DEFAULT_FORMAT,
  DEFAULT_FORMAT_ORIGIN,
  defaultFormatFor,
  FormatError,
  looksLikeHeader,
  type ParsedFormat,
  parseFormat,
  unknownFieldWarnings,
} from '../fields/format.js';
import { DecodeError, MAX_LINE_BYTES, SAMPLE_BYTES, sampleOf } from './errors.js';
import { ByteInterner } from './interner.js';
import { type BatchArea, LineScanner, SCAN_SLOW, SCAN_TABLE_FULL, type ScanTable } from './line-scanner.js';
import {
  fieldReads,
  ROW_DOMAIN,
  ROW_JUNK,
  ROW_NUMBER,
  ROW_OK,
  type RowParser,
  rowParser,
} from './row-parser.js';

const NUM = 0;
const STR = 1;

const OK = ROW_OK;
const ERR_NUMBER = ROW_NUMBER;
const ERR_JUNK = ROW_JUNK;

const EMPTY_F64 = new Float64Array(0);
const EMPTY_U32 = new Uint32Array(0);
const NEWLINE = Buffer.from('\n');
/** After lines that are the decoder's one after another, text decoded into columns before the transcoder tries again. */
const TRANSCODE_RETRY_BYTES = 1 << 20;
/** Bytes between two kept lines beyond which the text copy starts a new span (skipped junk is not copied). */
const MAX_TEXT_GAP = 256;
/**
 * Cells (rows × fields) of one batch at most: a header of thousands of unknown fields gets
 * batches of fewer rows, so its columns cost what a usual batch's do (8,192 rows × 128 fields).
 */
const MAX_BATCH_CELLS = 1 << 20;

export interface TextBatcherOptions {
  readonly source: SourceRef;
  /** Field order of headerless lines. Default: the v2 format. */
  readonly format?: ParsedFormat;
  /** Where the format came from, for messages: "--format", "the default v2 format". */
  readonly formatOrigin?: string;
  readonly batchSize: number;
  readonly stats: RunStats;
  /** The name used for malformed lines and errors: the input (file path, URI, `-`). */
  readonly origin: string;
  /** True for S3-style text: a header line sets (or resets) the field order. */
  readonly headers: boolean;
  /** Keep a source-native id per record (CloudWatch event ids). */
  readonly withIds?: boolean;
  /** Copy each kept line's bytes into the batch (`batch.text`); default true. */
  readonly keepText?: boolean;
  /** False: stream mode uses the JavaScript decoder only, not the WebAssembly scanner. */
  readonly scanner?: boolean;
  /**
   * Stream mode: plain lines of a layout it takes go to this sink's transcoder instead of
   * columns; the lines it leaves are decoded here, each batch kept in input order.
   */
  readonly transcoder?: LineTranscoder;
}

/**
 * Turns record lines into FlowBatches. The bytes of each line are scanned once: numbers are
 * parsed straight from the bytes, strings are interned per column (see ByteInterner), and a
 * row goes into preallocated typed arrays. No per-record objects, no `split`.
 *
 * Two ways in: `push(chunk)`/`end()` for a byte stream (lines numbered from 1), or `line()`
 * for one record with its own position and id (CloudWatch events, Firehose records).
 */
export class TextBatcher {
  private fields: readonly FieldDef[] = [];
  private kinds = new Uint8Array(0);
  private interners: ByteInterner[] = [];
  private nums: Float64Array[] = [];
  private codes: Uint32Array[] = [];
  private positions = EMPTY_F64;
  private ids: string[] = [];
  private rows = 0;
  private capacity = 0;
  /** Rows of a batch: the batch size, fewer for a layout so wide its columns would pass MAX_BATCH_CELLS. */
  private batchRows = 1;
  private statusIndex = -1;
  /** True while the transcoder takes the current layout's lines. */
  private transcoding = false;
  /** Bytes of text still to decode into columns before the transcoder is tried again. */
  private transcodeAfter = 0;
  private formatOrigin: string;
  private source: SourceRef;
  private origin: string;
  private stats: RunStats;
  private readonly internerByColumn = new Map<string, ByteInterner>();
  private readonly ready: FlowBatch[] = [];
  /** Stream mode: the line number of the last line seen, and the bytes of a partial line. */
  private lineNo = 0;
  private carry: Buffer = Buffer.alloc(0);
  private carryLen = 0;
  private overlong = false;
  private scratch: Buffer = Buffer.allocUnsafe(1024);
  private parser: RowParser = rowParser([]);
  private errField = 0;
  private errAt = 0;
  /**
   * The original lines of the current batch: the bytes of consecutive kept lines are copied in
   * one piece per span (a run of lines of one buffer), not line by line.
   */
  private textBuf: Buffer = Buffer.alloc(0);
  private textPos = 0;
  private starts = EMPTY_U32;
  private ends = EMPTY_U32;
  /** The last batch's rows and bytes per row: the next text buffer is sized from them. */
  private bytesPerRow = 128;
  private rowsHint = 1 << 30;
  /** The pending span: bytes [spanStart, spanEnd) of spanBuf go to textBuf at spanBase. */
  private spanBuf: Buffer | null = null;
  private spanStart = 0;
  private spanEnd = 0;
  private spanBase = 0;
  /**
   * The WebAssembly scanner for stream mode, made on the first chunk (undefined until then,
   * null where it is not available). With it, the rows of a batch live in its memory and are
   * copied out when the batch is emitted.
   */
  private scanner: LineScanner | null | undefined;
  /**
   * The scanner when it takes the current layout, else null (a layout too wide for it, or the
   * JavaScript decoder only). Set between batches only: a batch's rows live in one place.
   */
  private scanning: LineScanner | null = null;
  private area: BatchArea | null = null;
  private scanTables: (ScanTable | null)[] = [];
  /** The interner (and so the dictionary) of each scanner table, by table id. */
  private readonly tableInterners: ByteInterner[] = [];
  private viewsVersion = -1;
  /**
   * Per scanner table, for the current batch: 1 + the table entry of each dictionary code the
   * scanner gave (0 for codes the JavaScript decoder gave), published with the column (StrColumn.keys).
   */
  private readonly tableKeys: Uint32Array[] = [];
  private readonly pushCode = (table: ScanTable, value: string, entry: number): void => {
    const dict = this.tableInterners[table.id]!.dict;
    let keys = this.tableKeys[table.id]!;
    if (dict.length >= keys.length) keys = this.growKeys(table.id, dict.length);
    keys[dict.length] = entry + 1;
    dict.push(value);
  };

  constructor(private readonly options: TextBatcherOptions) {
    this.source = options.source;
    this.origin = options.origin;
    this.stats = options.stats;
    this.formatOrigin = options.formatOrigin ?? (options.format ? '--format' : DEFAULT_FORMAT_ORIGIN);
    this.setFields((options.format ?? DEFAULT_FORMAT).fields);
  }

  /** Field order now in force. */
  get currentFields(): readonly FieldDef[] {
    return this.fields;
  }

  /** Records of another source follow: the rows so far become a batch of the old source. */
  setSource(source: SourceRef): void {
    if (source.id === this.source.id && source.context === this.source.context) return;
    this.emit();
    this.source = source;
  }

  /** The name malformed lines are reported under from now on. */
  setOrigin(origin: string): void {
    this.origin = origin;
  }

  /** Counts go to `stats` from now on (a decode worker counts each segment on its own). */
  useStats(stats: RunStats): void {
    this.stats = stats;
  }

  /**
   * Stream mode: the next byte pushed starts line `lineNo + 1` (a decode worker gets segments
   * of a stream that start at known line numbers). Only between whole lines.
   */
  startLine(lineNo: number): void {
    this.lineNo = lineNo;
  }

  /** Sets the field order (a header line, or a format given by the caller). */
  setFormat(format: ParsedFormat, origin: string): void {
    this.emit();
    this.formatOrigin = origin;
    this.setFields(format.fields);
  }

  /** Batches completed so far; the caller yields them. */
  take(): FlowBatch[] {
    if (this.ready.length === 0) return NO_BATCHES;
    return this.ready.splice(0, this.ready.length);
  }

  /** Stream mode: the next chunk of decompressed text. */
  push(buf: Buffer): void {
    if (this.scanner === undefined && this.capacity === 0) {
      this.scanner = this.options.scanner === false ? null : LineScanner.acquire();
      this.viewsVersion = -1;
      this.chooseScanner();
    }
    let start = 0;
    const len = buf.length;
    if (this.carryLen > 0 || this.overlong) {
      const nl = buf.indexOf(10);
      if (nl === -1) {
        this.appendCarry(buf, 0, len);
        return;
      }
      this.appendCarry(buf, 0, nl + 1);
      this.finishCarriedLine();
      start = nl + 1;
    }
    const last = buf.lastIndexOf(10);
    if (last >= start) {
      this.region(buf, start, last + 1, -1, undefined, this.options.headers);
      start = last + 1;
    }
    if (start < len) this.appendCarry(buf, start, len);
  }

  /** Stream mode: the input ended; a last line without a newline is still a line. */
  end(): void {
    if (this.carryLen > 0 || this.overlong) {
      this.appendCarry(NEWLINE, 0, 1);
      this.finishCarriedLine();
    }
    this.emit();
    this.releaseScanner();
  }

  /** Stream mode: the input broke off; a partial last line is dropped (the error reports it). */
  abandon(): void {
    this.carryLen = 0;
    this.overlong = false;
    this.emit();
    this.releaseScanner();
  }

  /** No more stream input: the scanner serves the next stream (a later push takes one again). */
  releaseScanner(): void {
    if (!this.scanner || this.rows > 0) return;
    this.scanner.release();
    this.scanner = undefined;
    this.scanning = null;
    this.area = null;
    this.capacity = 0;
  }

  /**
   * Record mode: the line(s) in bytes [start, end) of buf, all at `position` (1-based), with an
   * optional id. `buf` may be overwritten afterwards.
   */
  line(buf: Buffer, start: number, end: number, position: number, id?: string): void {
    if (end > start && buf[end - 1] === 10) {
      this.region(buf, start, end, position, id, false);
      return;
    }
    // The scanner needs a newline after the last line: copy into the scratch buffer with one.
    const n = end - start;
    if (this.scratch.length < n + 1)
      this.scratch = Buffer.allocUnsafe(Math.max(n + 1, this.scratch.length * 2));
    buf.copy(this.scratch, 0, start, end);
    this.scratch[n] = 10;
    this.region(this.scratch, 0, n + 1, position, id, false);
  }

  /** Record mode: rows so far become a batch. */
  flush(): void {
    this.emit();
  }

  private appendCarry(buf: Buffer, start: number, end: number): void {
    if (this.overlong) return;
    let n = end - start;
    if (this.carryLen + n > MAX_LINE_BYTES + 2) {
      // the line is not kept, only its start: the malformed line's sample
      this.overlong = true;
      n = Math.min(n, SAMPLE_BYTES - this.carryLen);
      if (n <= 0) return;
    }
    if (this.carryLen + n > this.carry.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.carry.length * 2, this.carryLen + n, 1024));
      this.carry.copy(bigger, 0, 0, this.carryLen);
      this.carry = bigger;
    }
    buf.copy(this.carry, this.carryLen, start, start + n);
    this.carryLen += n;
  }

  /** The carried bytes now end with a newline: decode that line. */
  private finishCarriedLine(): void {
    if (this.overlong) {
      this.lineNo++;
      this.malformed(this.lineNo, `line longer than ${MAX_LINE_BYTES} bytes`, this.carry, 0, this.carryLen);
      this.overlong = false;
      this.carryLen = 0;
      return;
    }
    const n = this.carryLen;
    this.carryLen = 0;
    this.region(this.carry, 0, n, -1, undefined, this.options.headers);
  }

  /**
   * Decodes the lines of bytes [start, end); buf[end - 1] is a newline, which lets the
   * scanner run without bounds checks: every byte <= 0x20 ends a token, and the newline ends
   * the line. `position` < 0 numbers lines from the stream's line counter.
   */
  private region(
    buf: Buffer,
    start: number,
    end: number,
    position: number,
    id: string | undefined,
    headers: boolean,
  ): void {
    if (position < 0 && this.scanning) {
      if (this.transcoding && this.transcodeAfter <= 0)
        this.transcodeRegion(this.scanning, buf, start, end, headers);
      else {
        this.transcodeAfter -= end - start;
        this.scanRegion(this.scanning, buf, start, end, headers);
      }
      return;
    }
    this.parseRegion(buf, start, end, position, id, headers);
  }

  /**
   * The scanner's way through a region: it decodes plain record lines; a line it stops at (a
   * possible header, anything malformed) goes through `parseRegion` on its own.
   */
  private scanRegion(sc: LineScanner, buf: Buffer, start: number, end: number, headers: boolean): void {
    const base = sc.load(buf, start, end);
    let p = base;
    const stop = p + (end - start);
    const batchSize = this.batchRows;
    const keepText = this.options.keepText !== false;
    while (p < stop) {
      if (this.rows === this.capacity) this.allocate();
      this.bindViews(sc);
      for (let f = 0; f < this.scanTables.length; f++) {
        const t = this.scanTables[f];
        if (t) sc.setDictLength(t, this.interners[f]!.dict.length);
      }
      const row0 = this.rows;
      const status = sc.scan(p, stop, row0, batchSize, this.lineNo, this.textPos);
      const rows = sc.outRow;
      sc.takeNewCodes(this.pushCode);
      if (keepText && rows > row0) this.appendText(sc.bytes, p, sc.textEnd);
      this.rows = rows;
      this.lineNo = sc.lineNo;
      p = sc.outP;
      if (rows === batchSize) this.emit();
      if (status === SCAN_SLOW) {
        const le = sc.bytes.indexOf(10, p);
        this.parseRegion(sc.bytes, p, le + 1, -1, undefined, headers);
        p = le + 1;
        if (this.transcoding && p < stop) {
          // a header brought a layout the transcoder takes: it reads the rest
          this.transcodeRegion(sc, buf, start + (p - base), end, headers);
          return;
        }
      } else if (status === SCAN_TABLE_FULL) {
        // entries given so far in this batch now name other strings: their keys are dropped
        this.tableKeys[sc.outTable]!.fill(0);
        sc.clearTable(sc.outTable);
      }
    }
  }

  /**
   * The transcoder's way through a region: it writes plain lines as its records; a line it stops
   * at goes through `scanRegion` on its own, and that line's row (if any) becomes a batch of
   * its own, so batches stay in input order. A header there may end transcoding.
   */
  private transcodeRegion(sc: LineScanner, buf: Buffer, start: number, end: number, headers: boolean): void {
    const tr = this.options.transcoder!;
    // rows decoded before (under a layout it did not take) go out first: batches keep input order
    if (this.rows > 0) this.emit();
    tr.load(buf, start, end);
    let at = 0;
    const length = end - start;
    let previousSlow = false;
    while (at < length) {
      const from = at;
      const status = tr.run(at, this.lineNo);
      this.lineNo = tr.lineNo;
      at = tr.stoppedAt;
      if (status === TRANSCODE_DONE) break;
      this.emitEncoded();
      if (status !== TRANSCODE_SLOW) {
        previousSlow = false;
        continue;
      }
      if (previousSlow && at === from) {
        // line after line is the decoder's (CRLF or tab-separated text, say): this piece and
        // the next TRANSCODE_RETRY_BYTES go the column way rather than a batch per line
        this.transcodeAfter = TRANSCODE_RETRY_BYTES;
        this.scanRegion(sc, buf, start + at, end, headers);
        return;
      }
      previousSlow = true;
      // one line: so the scanner leaves the rest (which this transcoder holds) to this loop
      const le = buf.indexOf(10, start + at);
      this.scanRegion(sc, buf, start + at, le + 1, headers);
      this.emit();
      at = le + 1 - start;
      if (!this.transcoding) {
        if (at < length) this.scanRegion(sc, buf, start + at, end, headers);
        return;
      }
    }
  }

  /**
   * The transcoder's records so far become a batch holding, besides the records, only the
   * columns that tell its resources apart (code 0: `-`).
   */
  private emitEncoded(): void {
    const run = this.options.transcoder?.take();
    if (!run) return;
    const n = run.records;
    const rows = run.encoded.rows;
    const fields = [];
    const columns: Column[] = [];
    for (const [column, values] of run.shared) {
      const def = this.fields.find((f) => f.column === column);
      if (!def) continue;
      fields.push(def);
      const dict = [''];
      const codes = new Uint32Array(n);
      let at = 0;
      for (let part = 0; part < rows.length; part++) {
        const value = values[part]!;
        let code = value === null ? 0 : dict.indexOf(value);
        if (code < 0) code = dict.push(value!) - 1;
        if (code !== 0) codes.fill(code, at, at + rows[part]!);
        at += rows[part]!;
      }
      columns.push({ kind: 'str', codes, dict });
    }
    const stats = this.stats;
    stats.records += n;
    stats.nodata += run.nodata;
    stats.skipdata += run.skipdata;
    this.ready.push(
      new FlowBatch(fields, columns, n, this.source, run.positions, undefined, undefined, run.encoded),
    );
  }

  /** Copies bytes [start, end) of buf to the batch's text at `textPos`. */
  private appendText(buf: Buffer, start: number, end: number): void {
    const need = this.textPos + (end - start);
    if (need > this.textBuf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.textBuf.length * 2));
      this.textBuf.copy(bigger, 0, 0, this.textPos);
      this.textBuf = bigger;
    }
    buf.copy(this.textBuf, this.textPos, start, end);
    this.textPos = need;
  }

  /** The JavaScript decoder's way through a region (record mode, and lines the scanner leaves). */
  private parseRegion(
    buf: Buffer,
    start: number,
    end: number,
    position: number,
    id: string | undefined,
    headers: boolean,
  ): void {
    let parser = this.parser;
    const withIds = this.options.withIds === true;
    const keepText = this.options.keepText !== false;
    let p = start;
    while (p < end) {
      const pos = position < 0 ? ++this.lineNo : position;
      const ls = p;
      let c = buf[p]!;
      while (c === 32 || c === 9 || c === 13) c = buf[++p]!;
      if (c === 10) {
        p++;
        continue; // blank line
      }
      if (headers && c >= 97 && c <= 122) {
        const le = buf.indexOf(10, p);
        if (this.headerLine(buf, p, trimEnd(buf, p, le), pos)) {
          p = le + 1;
          parser = this.parser;
          continue;
        }
      }
      if (this.rows === this.capacity) this.allocate();
      const row = this.rows;
      const r = parser.parse(buf, p, row);
      const status = r >= 0 ? OK : -r;
      if (status !== OK) {
        this.errField = parser.errField;
        this.errAt = parser.errAt;
      }
      const le = r >= 0 ? r : buf.indexOf(10, p);
      if (status !== OK && status !== ERR_JUNK && le - ls <= MAX_LINE_BYTES) {
        // headerless lines with no format given: the AWS default format of their field count
        const other = defaultFormatFor(countTokens(buf, p, trimEnd(buf, p, le)), this.formatOrigin);
        if (other) {
          this.setFormat(other.format, other.origin);
          if (position < 0) this.lineNo--;
          // a copy: buf may be the scanner's memory, which the new layout's area can move
          const line = Buffer.from(buf.subarray(ls, le + 1));
          this.parseRegion(line, 0, line.length, position, id, headers);
          parser = this.parser;
          p = le + 1;
          continue;
        }
      }
      if (status !== OK || le - ls > MAX_LINE_BYTES) {
        const s = skipBlank(buf, ls, le);
        const e = trimEnd(buf, s, le);
        const why =
          le - ls > MAX_LINE_BYTES
            ? `line longer than ${MAX_LINE_BYTES} bytes`
            : this.describe(status, buf, s, e);
        this.malformed(pos, why, buf, s, e);
        p = le + 1;
        continue;
      }
      // the original line: from its first non-blank byte to its last one
      if (keepText) {
        let te = le;
        while (te > p && buf[te - 1]! <= 32) te--;
        if (this.spanBuf !== buf || p - this.spanEnd > MAX_TEXT_GAP) this.openSpan(buf, p);
        const base = this.spanBase - this.spanStart;
        this.starts[row] = base + p;
        this.ends[row] = base + te;
        this.spanEnd = te;
      }
      p = le + 1;
      this.positions[row] = pos;
      if (withIds) this.ids[row] = id ?? '';
      this.rows = row + 1;
      if (this.rows === this.batchRows) this.emit();
    }
    // buf may be overwritten once this returns (carry, scratch): its lines are copied now
    this.closeSpan();
  }

  /** Kept lines from `start` in buf follow: the pending span is copied, a new one starts. */
  private openSpan(buf: Buffer, start: number): void {
    this.closeSpan();
    this.spanBuf = buf;
    this.spanStart = start;
    this.spanEnd = start;
    this.spanBase = this.textPos;
  }

  /** Copies the pending span of lines into the batch's text. */
  private closeSpan(): void {
    const buf = this.spanBuf;
    if (buf === null) return;
    this.spanBuf = null;
    if (this.spanEnd <= this.spanStart) return;
    this.appendText(buf, this.spanStart, this.spanEnd);
  }

  private describe(status: number, buf: Buffer, s: number, e: number): string {
    if (status === ERR_JUNK) {
      return `binary or control byte 0x${buf[this.errAt]!.toString(16).padStart(2, '0')} at column ${this.errAt - s + 1}`;
    }
    const count = countTokens(buf, s, e);
    // a line of another layout: its count, not the first value that fits no field, says so
    if (status === ROW_DOMAIN && count === this.fields.length) {
      let te = this.errAt;
      while (te < e && buf[te]! > 32) te++;
      return domainProblem(this.fields[this.errField]!, sampleOf(buf, this.errAt, te));
    }
    if (status === ERR_NUMBER) {
      let te = this.errAt;
      while (te < e && buf[te]! > 32) te++;
      const value = sampleOf(buf, this.errAt, Math.min(te, this.errAt + 40));
      return `field ${this.fields[this.errField]!.name}: "${value}" is not a number`;
    }
    const s2 = count === 1 ? '' : 's';
    return `expected ${this.fields.length} fields (${this.formatOrigin}), got ${count} field${s2}`;
  }

  /** A header line switches the field order; returns false when the line is not a header. */
  private headerLine(buf: Buffer, s: number, e: number, position: number): boolean {
    const tokens = headerTokens(buf, s, e);
    if (!tokens) return false;
    const where = `${this.origin}: header on line ${position}`;
    let format: ParsedFormat;
    try {
      format = parseFormat(tokens.join(' '), where);
    } catch (err) {
      if (err instanceof FormatError) throw new DecodeError(err.message);
      throw err;
    }
    for (const warning of unknownFieldWarnings(where, format.unknown)) this.stats.warn(warning);
    if (this.formatOrigin === '--format' && !sameColumns(this.fields, format.fields))
      this.stats.warn(`${where} differs from --format: the header's field order is used`);
    this.setFormat(format, `header on line ${position}`);
    return true;
  }

  private malformed(position: number, message: string, buf: Buffer, s: number, e: number): void {
    this.stats.addMalformed({
      source: this.origin,
      line: position,
      message,
      sample: sampleOf(buf, s, e),
    });
  }

  private setFields(fields: readonly FieldDef[]): void {
    this.fields = fields;
    this.kinds = new Uint8Array(fields.length);
    this.interners = [];
    this.statusIndex = -1;
    for (let f = 0; f < fields.length; f++) {
      const def = fields[f]!;
      const isNum = def.type !== 'string';
      this.kinds[f] = isNum ? NUM : STR;
      let interner = this.internerByColumn.get(def.column);
      if (!interner) {
        interner = new ByteInterner();
        interner.accept = textCheck(def);
        this.internerByColumn.set(def.column, interner);
      }
      if (!isNum) interner.newBatch();
      this.interners.push(interner);
      if (def.column === 'log_status') this.statusIndex = f;
    }
    this.parser = rowParser(fieldReads(fields));
    this.capacity = 0;
    this.rows = 0;
    this.batchRows = Math.max(
      1,
      Math.min(this.options.batchSize, Math.floor(MAX_BATCH_CELLS / fields.length)),
    );
    this.transcoding = this.options.transcoder?.layout(fields, this.options.headers, this.batchRows) ?? false;
    this.transcodeAfter = 0;
    this.chooseScanner();
  }

  /** Whether the scanner decodes the current layout (called with no rows pending). */
  private chooseScanner(): void {
    const sc = this.scanner;
    const strings = this.fields.filter((_def, f) => this.kinds[f] === STR).map((def) => def.column);
    this.scanning = sc?.canTake(this.fields.length, strings) ? sc : null;
    this.viewsVersion = -1;
  }

  private allocate(): void {
    const size = this.batchRows;
    const n = this.fields.length;
    const keepText = this.options.keepText !== false;
    if (this.scanning) {
      this.scanLayout(this.scanning, size);
    } else {
      // Built by push so the arrays stay packed (faster element loads in the hot loop).
      this.nums = [];
      this.codes = [];
      for (let f = 0; f < n; f++) {
        this.nums.push(this.kinds[f] === NUM ? new Float64Array(size) : EMPTY_F64);
        this.codes.push(this.kinds[f] === STR ? new Uint32Array(size) : EMPTY_U32);
      }
      this.positions = new Float64Array(size);
      this.starts = keepText ? new Uint32Array(size) : EMPTY_U32;
      this.ends = keepText ? new Uint32Array(size) : EMPTY_U32;
      this.parser.bind(this.nums, this.codes, this.interners);
    }
    // sized from the last batch's lines, so the copy rarely grows (small batches of records
    // from CloudWatch or Firehose payloads get small buffers)
    const rows = Math.min(size, Math.max(64, this.rowsHint));
    if (keepText) {
      this.textBuf = Buffer.allocUnsafe(Math.ceil(rows * this.bytesPerRow * 1.1) + 1024);
    }
    this.textPos = 0;
    this.ids = [];
    this.capacity = size;
  }

  /** A new batch in the scanner's memory: its area for this layout, tables, a new epoch. */
  private scanLayout(sc: LineScanner, size: number): void {
    let strFields = 0;
    this.scanTables = this.fields.map((def, f) => {
      if (this.kinds[f] !== STR) return null;
      strFields++;
      const t = sc.tableFor(def.column);
      this.tableInterners[t.id] = this.interners[f]!;
      // a new batch: no codes yet, so no keys
      this.tableKeys[t.id] ??= new Uint32Array(1024);
      this.tableKeys[t.id]!.fill(0);
      return t;
    });
    this.area = sc.area(this.fields.length, strFields, size);
    sc.configure(this.area, this.scanTables, sc.nextEpoch(), this.options.headers, MAX_LINE_BYTES);
    sc.setDomains(this.fields, this.scanTables);
    this.viewsVersion = -1;
    this.bindViews(sc);
  }

  /** Views of the batch area, re-made when the scanner's memory has grown. */
  private bindViews(sc: LineScanner): void {
    if (this.viewsVersion === sc.version) return;
    this.viewsVersion = sc.version;
    const a = this.area!;
    const mem = sc.bytes.buffer as ArrayBuffer;
    const size = a.rows;
    this.nums = [];
    this.codes = [];
    for (let f = 0; f < this.fields.length; f++) {
      this.nums.push(this.kinds[f] === NUM ? new Float64Array(mem, a.columns[f]!, size) : EMPTY_F64);
      this.codes.push(this.kinds[f] === STR ? new Uint32Array(mem, a.columns[f]!, size) : EMPTY_U32);
    }
    this.positions = new Float64Array(mem, a.positions, size);
    this.starts = new Uint32Array(mem, a.starts, size);
    this.ends = new Uint32Array(mem, a.ends, size);
    this.parser.bind(this.nums, this.codes, this.interners);
  }

  /** The rows so far become a FlowBatch of the current source (transcoded records first). */
  private emit(): void {
    this.emitEncoded();
    this.closeSpan();
    const n = this.rows;
    if (n === 0) return;
    // rows in the scanner's memory are copied out: the next batch reuses it
    const own = this.scanning ? copyRows : viewRows;
    const columns = this.fields.map((_def, f) => {
      if (this.kinds[f] === NUM) return { kind: 'num' as const, values: own(this.nums[f]!, n) };
      const interner = this.interners[f]!;
      const dict = interner.dict;
      const table = this.scanning ? this.scanTables[f] : null;
      const col: StrColumn = table
        ? { kind: 'str', codes: own(this.codes[f]!, n), dict, keys: this.keysOf(table, dict) }
        : { kind: 'str', codes: own(this.codes[f]!, n), dict };
      interner.newBatch();
      return col;
    });
    const stats = this.stats;
    stats.records += n;
    if (this.statusIndex >= 0) {
      const col = columns[this.statusIndex]!;
      if (col.kind === 'str') countStatus(col.codes, col.dict, stats);
    }
    const batch = new FlowBatch(
      this.fields,
      columns,
      n,
      this.source,
      own(this.positions, n),
      this.options.withIds ? this.ids.slice(0, n) : undefined,
      this.options.keepText !== false ? this.takeText(n) : undefined,
    );
    this.ready.push(batch);
    this.rows = 0;
    this.capacity = 0;
  }

  /** The keys of a column's dictionary, for consumers (StrColumn.keys). */
  private keysOf(table: ScanTable, dict: readonly string[]): DictKeys {
    const scratch = this.tableKeys[table.id]!;
    const keys = new Uint32Array(dict.length);
    keys.set(scratch.subarray(0, Math.min(dict.length, scratch.length)));
    return { space: table.space, keys };
  }

  private growKeys(table: number, length: number): Uint32Array {
    const more = grown(this.tableKeys[table]!, Math.max(length + 1, this.tableKeys[table]!.length * 2));
    this.tableKeys[table] = more;
    return more;
  }

  /** The batch's original lines; the next batch gets a buffer of its own. */
  private takeText(n: number): LineText {
    const used = this.textPos;
    this.bytesPerRow = Math.min(4096, Math.max(32, Math.ceil(used / n)));
    this.rowsHint = n;
    // a batch cut short (end of input, a header) keeps only what it uses
    let bytes = this.textBuf.subarray(0, used);
    if (used * 2 < this.textBuf.length) {
      bytes = Buffer.allocUnsafeSlow(used);
      this.textBuf.copy(bytes, 0, 0, used);
    }
    this.textBuf = Buffer.alloc(0);
    this.textPos = 0;
    const own = this.scanning ? copyRows : viewRows;
    return { bytes, starts: own(this.starts, n), ends: own(this.ends, n) };
  }
}

const NO_BATCHES: FlowBatch[] = [];

function copyRows<T extends Float64Array | Uint32Array>(a: T, n: number): T {
  return a.slice(0, n) as T;
}

function viewRows<T extends Float64Array | Uint32Array>(a: T, n: number): T {
  return a.subarray(0, n) as T;
}

/** The field names of bytes [s, e) when that line is a header line, else null. */
export function headerTokens(buf: Buffer, s: number, e: number): string[] | null {
  // Cheap pre-check: field names hold no digits or dots, record values nearly always do.
  for (let p = s; p < e && buf[p] !== 32; p++) {
    const c = buf[p]!;
    if ((c >= 48 && c <= 57) || c === 46) return null;
  }
  const tokens = buf.toString('latin1', s, e).split(/[ \t]+/);
  return looksLikeHeader(tokens) ? tokens : null;
}

/** Where a line's content ends: before trailing CR, spaces and tabs. */
export function trimEnd(buf: Buffer, s: number, e: number): number {
  while (e > s && (buf[e - 1] === 13 || buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
  return e;
}

function sameColumns(a: readonly FieldDef[], b: readonly FieldDef[]): boolean {
  return a.length === b.length && a.every((f, i) => f.column === b[i]!.column);
}

function countStatus(codes: Uint32Array, dict: readonly string[], stats: RunStats): void {
  // 1 = NODATA, 2 = SKIPDATA; a value may sit under more than one code after an interner reset.
  const kind = new Uint8Array(dict.length);
  let any = false;
  for (let c = 1; c < dict.length; c++) {
    if (dict[c] === 'NODATA') kind[c] = 1;
    else if (dict[c] === 'SKIPDATA') kind[c] = 2;
    else continue;
    any = true;
  }
  if (!any) return;
  for (let i = 0; i < codes.length; i++) {
    const k = kind[codes[i]!];
    if (k === 1) stats.nodata++;
    else if (k === 2) stats.skipdata++;
  }
}

function countTokens(buf: Buffer, s: number, e: number): number {
  let count = 0;
  let inToken = false;
  for (let p = s; p < e; p++) {
    const sep = buf[p] === 32 || buf[p] === 9;
    if (!sep && !inToken) count++;
    inToken = !sep;
  }
  return count;
}

function skipBlank(buf: Buffer, s: number, e: number): number {
  while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
  return s;
}
