/**
 * Bytes encoded once per batch (dictionary values, whole KeyValue fields), handed out as views
 * so a record copies them with one `set`. Chunks are never moved: a full chunk is left to its
 * views and a new one started, so memory is bounded by what one batch's views hold.
 */
export class ByteArena {
  buf: Buffer = Buffer.allocUnsafe(CHUNK);
  pos = 0;

  /** Starts a new chunk (the previous batch's views keep theirs alive until dropped). */
  reset(): void {
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.pos = 0;
  }

  /** Makes room for n more bytes at `pos`, in a fresh chunk if this one is full. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, n));
    this.pos = 0;
  }

  /** The bytes from `start` to `pos` as a view. */
  view(start: number): Uint8Array {
    return this.slice(start, this.pos - start);
  }

  /** n bytes from `start` as a plain view (cheaper to make than a Buffer). */
  slice(start: number, n: number): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + start, n);
  }
}

const CHUNK = 64 * 1024;

/** Copies a cached byte string: a loop for a few bytes, one native `set` beyond. */
export function putBytes(dst: Buffer, to: number, b: Uint8Array): number {
  const n = b.length;
  if (n < 16) for (let j = 0; j < n; j++) dst[to + j] = b[j]!;
  else dst.set(b, to);
  return to + n;
}

/** The UTF-8 byte length of a string: its length when ASCII, which ids and addresses are. */
export function utf8Length(s: string): number {
  const n = s.length;
  if (n > 64) return Buffer.byteLength(s, 'utf8');
  for (let j = 0; j < n; j++) if (s.charCodeAt(j) >= 0x80) return Buffer.byteLength(s, 'utf8');
  return n;
}

/**
 * Writes a string's UTF-8 bytes at `pos` (room for s.length × 3 bytes must exist); returns the
 * byte count. Short ASCII strings (ids, addresses) take a plain loop: a native call costs more.
 */
export function writeUtf8(buf: Buffer, pos: number, s: string): number {
  const n = s.length;
  if (n > 64) return buf.write(s, pos, 'utf8');
  for (let j = 0; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c >= 0x80) return buf.write(s, pos, 'utf8');
    buf[pos + j] = c;
  }
  return n;
}

/** Writes an unsigned varint (0 ≤ n < 2^53) at pos; returns the new position. */
export function putVarint(buf: Buffer, pos: number, n: number): number {
  while (n > 0x7fffffff) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  while (n > 0x7f) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}

/** Decimal digits of an integer 0 ≤ v < 2^53. */
export function digitCount(v: number): number {
  if (v < 100000) return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : 5;
  if (v < 10000000000)
    return v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
  let n = 11;
  let p = 100000000000;
  while (v >= p && n < 16) {
    n++;
    p *= 10;
  }
  return n;
}

/** "0000" … "9999" as ASCII: four digits per division. */
const QUADS = new Uint8Array(40000);
for (let i = 0; i < 10000; i++) {
  QUADS[4 * i] = 48 + Math.floor(i / 1000);
  QUADS[4 * i + 1] = 48 + (Math.floor(i / 100) % 10);
  QUADS[4 * i + 2] = 48 + (Math.floor(i / 10) % 10);
  QUADS[4 * i + 3] = 48 + (i % 10);
}

/** Writes the decimal digits of an integer 0 ≤ v < 2^53 so that the last one is at end - 1. */
export function putDigits(buf: Buffer, end: number, v: number): void {
  let p = end;
  while (v >= 4294967296) {
    const q = Math.floor(v / 10000);
    const r = 4 * (v - q * 10000);
    buf[p - 4] = QUADS[r]!;
    buf[p - 3] = QUADS[r + 1]!;
    buf[p - 2] = QUADS[r + 2]!;
    buf[p - 1] = QUADS[r + 3]!;
    p -= 4;
    v = q;
  }
  let u = v >>> 0;
  while (u >= 10000) {
    const q = (u / 10000) >>> 0;
    const r = 4 * (u - q * 10000);
    buf[p - 4] = QUADS[r]!;
    buf[p - 3] = QUADS[r + 1]!;
    buf[p - 2] = QUADS[r + 2]!;
    buf[p - 1] = QUADS[r + 3]!;
    p -= 4;
    u = q;
  }
  // the leading 1–4 digits: the tail of their quad
  const r = 4 * u + 3;
  buf[--p] = QUADS[r]!;
  if (u >= 10) buf[--p] = QUADS[r - 1]!;
  if (u >= 100) buf[--p] = QUADS[r - 2]!;
  if (u >= 1000) buf[--p] = QUADS[r - 3]!;
}
