/** Byte helpers the protobuf writers share: copies, UTF-8 and varints written into a buffer. */

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
