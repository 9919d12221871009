import { putVarint } from './proto-bytes.js';
import { T_LR_SEVERITY, T_LR_SEVERITY_TEXT } from './proto-tags.js';

/**
 * A growable protobuf byte writer over one reused buffer. Only what OTLP logs need: varints,
 * fixed64/fixed32, doubles, length-delimited fields. Lengths of nested messages are patched in
 * after the content is written (see `beginLen`/`endLen`).
 */
export class ProtoWriter {
  buf: Buffer;
  pos = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  reset(): void {
    this.pos = 0;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Unsigned varint of a non-negative integer up to 2^53; negatives take the int64 10-byte form. */
  varint(n: number): void {
    this.ensure(10);
    if (n < 0) {
      this.negativeVarint(n);
      return;
    }
    const buf = this.buf;
    let pos = this.pos;
    while (n > 0x7fffffff) {
      buf[pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    while (n > 0x7f) {
      buf[pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    buf[pos++] = n;
    this.pos = pos;
  }

  private negativeVarint(n: number): void {
    let v = BigInt.asUintN(64, BigInt(Math.trunc(n)));
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  fixed32(n: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(n >>> 0, this.pos);
    this.pos += 4;
  }

  /** fixed64 from its low and high 32-bit halves. */
  fixed64(lo: number, hi: number): void {
    this.ensure(8);
    this.buf.writeUInt32LE(lo >>> 0, this.pos);
    this.buf.writeUInt32LE(hi >>> 0, this.pos + 4);
    this.pos += 8;
  }

  double(d: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(d, this.pos);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Writes a string's UTF-8 bytes with their length prefix. */
  string(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos);
  }

  /** Reserves `reserve` bytes for a length to be patched by `endLen`; returns the mark. */
  beginLen(reserve: number): number {
    this.ensure(reserve);
    this.pos += reserve;
    return this.pos;
  }

  /**
   * Patches the length of the content written since `mark` into the `reserve` bytes before it,
   * moving the content when the length needs fewer or more bytes than reserved.
   */
  endLen(mark: number, reserve: number): void {
    const len = this.pos - mark;
    const need = varintSize(len);
    if (need !== reserve) {
      if (need > reserve) this.ensure(need - reserve);
      this.buf.copyWithin(mark - reserve + need, mark, this.pos);
      this.pos += need - reserve;
    }
    let p = mark - reserve;
    let n = len;
    while (n > 0x7f) {
      this.buf[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[p] = n;
  }
}

export function varintSize(n: number): number {
  if (n < 0) return 10;
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  let size = 5;
  n = Math.floor(n / 0x800000000);
  while (n > 0) {
    size++;
    n = Math.floor(n / 128);
  }
  return size;
}

/** Unix seconds (fractional allowed) → nanoseconds as fixed64 halves, exact without BigInt. */
export function nanosHalves(seconds: number): [lo: number, hi: number] {
  const whole = Math.floor(seconds);
  const frac = Math.round((seconds - whole) * 1e9);
  // whole × 1e9 = hiPart × 1e9 × 2^16 + loPart × 1e9, each product exact below 2^53.
  const p2 = Math.floor(whole / 65536) * 1e9;
  const p1 = (whole % 65536) * 1e9 + frac;
  let lo = (p2 % 65536) * 65536 + (p1 % 4294967296);
  let hi = Math.floor(p2 / 65536) + Math.floor(p1 / 4294967296);
  if (lo >= 4294967296) {
    hi += Math.floor(lo / 4294967296);
    lo %= 4294967296;
  }
  return [lo, hi];
}

/** Decimal nanoseconds for OTLP/JSON (64-bit integers are strings there). */
export function nanosString(seconds: number): string {
  const [lo, hi] = nanosHalves(seconds);
  return (BigInt(hi) * 4294967296n + BigInt(lo)).toString();
}

/**
 * The LogRecord's severity number and text fields at `pos` (either left out when 0 or empty);
 * the buffer has room for `text.length * 3 + 24` bytes. Returns the position after them.
 */
export function writeSeverity(buf: Buffer, pos: number, num: number, text: string): number {
  if (num > 0) {
    buf[pos++] = T_LR_SEVERITY;
    pos = putVarint(buf, pos, num);
  }
  if (text) {
    buf[pos++] = T_LR_SEVERITY_TEXT;
    pos = putVarint(buf, pos, Buffer.byteLength(text, 'utf8'));
    pos += buf.write(text, pos, 'utf8');
  }
  return pos;
}
