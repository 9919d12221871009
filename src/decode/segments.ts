import { FormatError, type ParsedFormat, parseFormat } from '../fields/format.js';
import { MAX_LINE_BYTES, sampleOf } from './errors.js';
import { headerTokens, trimEnd } from './text.js';

/** Whole lines of a stream, ready to be parsed on any thread. */
export interface Segment {
  readonly kind: 'lines';
  /** Ends with a newline; its ArrayBuffer is its own (it can move to a thread). */
  readonly bytes: Buffer;
  /** Line number of the line before the first. */
  readonly lineBase: number;
  /** The field order in force at the first line, and where it came from. */
  readonly format: ParsedFormat;
  readonly formatOrigin: string;
}

/** A line longer than MAX_LINE_BYTES: skipped without being held, reported as malformed. */
export interface OverlongLine {
  readonly kind: 'overlong';
  readonly line: number;
  readonly sample: string;
}

export type Piece = Segment | OverlongLine;

export interface SegmenterOptions {
  /** Record lines per segment: the batch size, so that a segment makes one full batch. */
  readonly lines: number;
  /** A segment is cut at the last whole line once it holds this many bytes (long lines). */
  readonly maxBytes: number;
  readonly format: ParsedFormat;
  readonly formatOrigin: string;
  /** The input's name, for messages. */
  readonly origin: string;
}

const SPARE_BUFFERS = 8;

/**
 * Cuts a decompressed text stream into segments of `lines` whole lines, numbering lines as it
 * goes and following header lines, so that every segment can be parsed on its own with the
 * right field order and line numbers. Each byte is copied once, into the buffer of the
 * segment that carries it; buffers handed back (`recycle`) are used again.
 */
export class LineSegmenter {
  private pending: Buffer;
  private length = 0;
  /** Bytes [0, scanned) of pending are whole lines already counted. */
  private scanned = 0;
  private linesInPending = 0;
  private recordsInPending = 0;
  /** Lines before pending. */
  private lineBase = 0;
  private format: ParsedFormat;
  private formatOrigin: string;
  /** The order in force at the start of pending. */
  private pendingFormat: ParsedFormat;
  private pendingOrigin: string;
  /** The sample of an overlong line being skipped, or null. */
  private skipping: string | null = null;
  private readonly spare: Buffer[] = [];
  private readonly capacity: number;

  constructor(private readonly options: SegmenterOptions) {
    this.format = this.pendingFormat = options.format;
    this.formatOrigin = this.pendingOrigin = options.formatOrigin;
    this.capacity = Math.min(options.maxBytes, Math.max(64 * 1024, options.lines * 160));
    this.pending = Buffer.allocUnsafeSlow(this.capacity);
  }

  /** A segment's buffer, back from the parser: the next segments may use it. */
  recycle(bytes: Uint8Array): void {
    if (bytes.buffer.byteLength === this.capacity && this.spare.length < SPARE_BUFFERS) {
      this.spare.push(Buffer.from(bytes.buffer as ArrayBuffer, 0, this.capacity));
    }
  }

  /** The next chunk; returns the pieces completed by it. */
  push(chunk: Buffer): Piece[] {
    const out: Piece[] = [];
    let start = 0;
    if (this.skipping !== null) {
      const nl = chunk.indexOf(10);
      if (nl === -1) return out;
      this.lineBase++;
      out.push({ kind: 'overlong', line: this.lineBase, sample: this.skipping });
      this.skipping = null;
      start = nl + 1;
    }
    this.append(chunk, start);
    this.scan(out);
    return out;
  }

  /** The input ended: what is left, a last line without a newline counting as a line. */
  end(): Piece[] {
    const out: Piece[] = [];
    if (this.skipping !== null) {
      this.lineBase++;
      out.push({ kind: 'overlong', line: this.lineBase, sample: this.skipping });
      this.skipping = null;
      return out;
    }
    if (this.length > this.scanned) {
      this.append(NEWLINE, 0);
      this.scan(out);
    }
    if (this.scanned > 0) out.push(this.cut());
    return out;
  }

  /** The input broke off: the whole lines so far; a partial last line is dropped. */
  abandon(): Piece[] {
    const out: Piece[] = [];
    this.skipping = null;
    if (this.scanned > 0) out.push(this.cut());
    this.length = 0;
    return out;
  }

  private append(chunk: Buffer, start: number): void {
    const n = chunk.length - start;
    if (this.length + n > this.pending.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.length + n, this.pending.length * 2));
      this.pending.copy(bigger, 0, 0, this.length);
      this.pending = bigger;
    }
    chunk.copy(this.pending, this.length, start);
    this.length += n;
  }

  /** Counts the new whole lines, reads header lines, cuts full segments. */
  private scan(out: Piece[]): void {
    const { lines, maxBytes } = this.options;
    for (;;) {
      const buf = this.pending;
      let p = this.scanned;
      const le = buf.indexOf(10, p);
      if (le === -1 || le >= this.length) break;
      const line = this.lineBase + this.linesInPending + 1;
      let c = buf[p]!;
      while (c === 32 || c === 9 || c === 13) c = buf[++p]!;
      // Blank and header lines make no record: the segment takes `lines` records' lines.
      if (c !== 10 && !(c >= 97 && c <= 122 && this.header(buf, p, trimEnd(buf, p, le), line))) {
        this.recordsInPending++;
      }
      this.scanned = le + 1;
      this.linesInPending++;
      if (this.recordsInPending >= lines || this.scanned >= maxBytes) out.push(this.cut());
    }
    if (this.length - this.scanned > MAX_LINE_BYTES + 2) {
      // A line this long is not kept: the lines before it go now, the rest of it is skipped.
      const sample = sampleOf(this.pending, this.scanned, this.length);
      this.length = this.scanned;
      if (this.scanned > 0) out.push(this.cut());
      this.skipping = sample;
    }
  }

  /** The counted lines become a segment; the bytes after them start the next pending. */
  private cut(): Segment {
    const bytes = this.pending;
    const rest = this.length - this.scanned;
    const next = this.spare.pop() ?? Buffer.allocUnsafeSlow(Math.max(this.capacity, rest));
    const pending = next.length >= rest ? next : Buffer.allocUnsafeSlow(rest);
    bytes.copy(pending, 0, this.scanned, this.length);
    const segment: Segment = {
      kind: 'lines',
      bytes: bytes.subarray(0, this.scanned),
      lineBase: this.lineBase,
      format: this.pendingFormat,
      formatOrigin: this.pendingOrigin,
    };
    this.lineBase += this.linesInPending;
    this.linesInPending = 0;
    this.recordsInPending = 0;
    this.pending = pending;
    this.length = rest;
    this.scanned = 0;
    this.pendingFormat = this.format;
    this.pendingOrigin = this.formatOrigin;
    return segment;
  }

  /** Reads a header line (true), or says the line is none (false). */
  private header(bytes: Buffer, s: number, e: number, line: number): boolean {
    const tokens = headerTokens(bytes, s, e);
    if (!tokens) return false;
    const origin = `header on line ${line}`;
    try {
      this.format = parseFormat(tokens.join(' '), `${this.options.origin}: ${origin}`);
      this.formatOrigin = origin;
    } catch (err) {
      // The parser meets the same line and reports it where it stands.
      if (!(err instanceof FormatError)) throw err;
    }
    return true;
  }
}

const NEWLINE = Buffer.from('\n');
