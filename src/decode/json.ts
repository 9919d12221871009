import { DecodeError, MAX_JSON_BYTES, sampleOf } from './errors.js';

export interface JsonSplitterEvents {
  /** One complete top-level JSON object and the line it starts on. */
  document(bytes: Buffer, line: number): void;
  /** Bytes outside any object (up to the end of their line). */
  junk(line: number, sample: string): void;
  /**
   * An object cut off (a newline in a string, or a new object at a line start): the line it
   * starts on and its bytes up to the cut.
   */
  cut(line: number, bytes: Buffer): void;
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN = 123;
const CLOSE = 125;
const NEWLINE = 10;

/**
 * Splits a byte stream into top-level JSON objects: one per line, several on a line, or
 * concatenated with nothing between them (as gunzipping several gzip members gives).
 * Only brace depth and string state are tracked; JSON.parse checks each document.
 */
export class JsonSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private depth = 0;
  private inString = false;
  private line = 1;
  private docLine = 1;
  private junkLine = 0;
  private junkSample = '';
  /** Inside an object, the last byte was a newline: a `{` now starts a new object. */
  private lineStart = false;

  constructor(
    private readonly origin: string,
    private readonly on: JsonSplitterEvents,
  ) {}

  push(buf: Buffer): void {
    let p = 0;
    let docStart = this.depth > 0 ? 0 : -1;
    const len = buf.length;
    while (p < len) {
      if (this.inString) {
        const q = buf.indexOf(QUOTE, p);
        const nl = buf.indexOf(NEWLINE, p);
        if (nl !== -1 && (q === -1 || nl < q)) {
          // JSON strings hold no raw newline: the object was cut off; the next line starts afresh
          this.cutOff(buf, docStart, nl);
          docStart = -1;
          p = nl;
          continue;
        }
        if (q === -1) {
          p = len;
          break;
        }
        let back = 0;
        while (q - 1 - back >= p && buf[q - 1 - back] === BACKSLASH) back++;
        // A run of backslashes that reaches the chunk start is rare; re-scan from the part start.
        if (q - back === p && p === 0 && this.parts.length > 0) back += this.trailingBackslashes();
        p = q + 1;
        if (back % 2 === 0) this.inString = false;
        continue;
      }
      const c = buf[p]!;
      if (this.depth === 0) {
        if (c === OPEN) {
          this.endJunk();
          this.depth = 1;
          docStart = p;
          this.docLine = this.line;
        } else if (c === NEWLINE) {
          this.endJunk();
          this.line++;
        } else if (c !== 32 && c !== 13 && c !== 9 && this.junkLine === 0) {
          this.junkLine = this.line;
          this.junkSample = sampleOf(buf, p, Math.min(len, buf.indexOf(NEWLINE, p) >>> 0));
        }
        p++;
        continue;
      }
      if (this.lineStart && c === OPEN) {
        // An object begins at the start of a line inside another: one object a line, the
        // earlier one cut off. (Pretty-printed JSON indents everything but its outer braces.)
        this.cutOff(buf, docStart, p);
        docStart = -1;
        continue;
      }
      this.lineStart = c === NEWLINE;
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN) this.depth++;
      else if (c === NEWLINE) this.line++;
      else if (c === CLOSE && --this.depth === 0) {
        this.add(buf.subarray(docStart, p + 1));
        const doc = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
        this.parts = [];
        this.size = 0;
        docStart = -1;
        this.on.document(doc, this.docLine);
      }
      p++;
    }
    if (this.depth > 0 && docStart >= 0) this.add(buf.subarray(docStart));
  }

  /** Drops the object being read (cut off at `end` of `buf`), reporting its first line and bytes. */
  private cutOff(buf: Buffer, docStart: number, end: number): void {
    const tail = buf.subarray(Math.max(docStart, 0), end);
    const bytes = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail]);
    this.on.cut(this.docLine, bytes);
    this.parts = [];
    this.size = 0;
    this.depth = 0;
    this.inString = false;
    this.lineStart = false;
  }

  /** The input ended: an unterminated object is an error. */
  end(): void {
    this.endJunk();
    if (this.depth > 0) {
      throw new DecodeError(`${this.origin}: the JSON document starting on line ${this.docLine} is cut off`);
    }
  }

  private add(part: Buffer): void {
    this.size += part.length;
    if (this.size > MAX_JSON_BYTES) {
      throw new DecodeError(
        `${this.origin}: the JSON document starting on line ${this.docLine} is larger than ${MAX_JSON_BYTES} bytes`,
      );
    }
    // Copy: the chunk may be reused by its producer, and the document outlives it.
    this.parts.push(Buffer.from(part));
  }

  private trailingBackslashes(): number {
    let n = 0;
    for (let i = this.parts.length - 1; i >= 0; i--) {
      const part = this.parts[i]!;
      for (let j = part.length - 1; j >= 0; j--) {
        if (part[j] !== BACKSLASH) return n;
        n++;
      }
    }
    return n;
  }

  private endJunk(): void {
    if (this.junkLine === 0) return;
    this.on.junk(this.junkLine, this.junkSample);
    this.junkLine = 0;
  }
}
