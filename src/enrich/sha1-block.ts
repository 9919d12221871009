/**
 * SHA-1 of a message that fits one 64-byte block (at most 55 bytes), written for the Community
 * ID hot path: the caller writes the padded block as sixteen big-endian words straight from its
 * numbers, and the digest comes back as five words or as base64 text. No Buffer, no hash object
 * and no native call per message; node:crypto costs more in call overhead than this costs in
 * arithmetic for a single block.
 */

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Every 12-bit value as its two base64 digits: a 3-byte group is two lookups. */
const PAIRS: readonly string[] = Array.from({ length: 4096 }, (_, v) => BASE64[v >>> 6]! + BASE64[v & 63]!);

export class Sha1Block {
  /** The block: the message, then 0x80, zeros and the bit length in word 15 (see `pad`). */
  readonly words = new Int32Array(16);
  /** The digest words h0..h4 of the last `digest()`. */
  readonly h = new Int32Array(5);
  private readonly w = new Int32Array(80);

  /** Marks the end of a message of `bytes` bytes, a multiple of 4, and clears the rest of the block. */
  pad(bytes: number): void {
    const words = this.words;
    const end = bytes >>> 2;
    words[end] = 0x80000000 | 0;
    for (let k = end + 1; k < 15; k++) words[k] = 0;
    words[15] = bytes * 8;
  }

  /** Hashes the block in `words` into `h`. */
  digest(): void {
    const w = this.w;
    const m = this.words;
    for (let t = 0; t < 16; t++) w[t] = m[t]!;
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
      w[t] = (x << 1) | (x >>> 31);
    }
    let a = 0x67452301 | 0;
    let b = 0xefcdab89 | 0;
    let c = 0x98badcfe | 0;
    let d = 0x10325476 | 0;
    let e = 0xc3d2e1f0 | 0;
    let t = 0;
    for (; t < 20; t++) {
      const f = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + w[t]! + 0x5a827999) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = f;
    }
    for (; t < 40; t++) {
      const f = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w[t]! + 0x6ed9eba1) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = f;
    }
    for (; t < 60; t++) {
      const f = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + w[t]! + 0x8f1bbcdc) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = f;
    }
    for (; t < 80; t++) {
      const f = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w[t]! + 0xca62c1d6) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = f;
    }
    const h = this.h;
    h[0] = (0x67452301 + a) | 0;
    h[1] = (0xefcdab89 + b) | 0;
    h[2] = (0x98badcfe + c) | 0;
    h[3] = (0x10325476 + d) | 0;
    h[4] = (0xc3d2e1f0 + e) | 0;
  }

  /**
   * The digest as padded base64 (28 characters) after `prefix`: six 3-byte groups, then the last
   * two bytes and '='.
   */
  base64(prefix: string): string {
    const h = this.h;
    const h0 = h[0]!;
    const h1 = h[1]!;
    const h2 = h[2]!;
    const h3 = h[3]!;
    const h4 = h[4]!;
    // The 160 bits as 24-bit groups, most significant first.
    const g0 = h0 >>> 8;
    const g1 = ((h0 & 0xff) << 16) | (h1 >>> 16);
    const g2 = ((h1 & 0xffff) << 8) | (h2 >>> 24);
    const g3 = h2 & 0xffffff;
    const g4 = h3 >>> 8;
    const g5 = ((h3 & 0xff) << 16) | (h4 >>> 16);
    const last = h4 & 0xffff; // 16 bits: three digits (6 + 6 + 4 padded with two zero bits) and '='
    return (
      prefix +
      PAIRS[g0 >>> 12]! +
      PAIRS[g0 & 4095]! +
      PAIRS[g1 >>> 12]! +
      PAIRS[g1 & 4095]! +
      PAIRS[g2 >>> 12]! +
      PAIRS[g2 & 4095]! +
      PAIRS[g3 >>> 12]! +
      PAIRS[g3 & 4095]! +
      PAIRS[g4 >>> 12]! +
      PAIRS[g4 & 4095]! +
      PAIRS[g5 >>> 12]! +
      PAIRS[g5 & 4095]! +
      PAIRS[last >>> 4]! +
      BASE64[(last & 15) << 2]! +
      '='
    );
  }
}
