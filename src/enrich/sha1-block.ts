import { charPair } from './fixed-strings.js';

/**
 * SHA-1 of a message that fits one 64-byte block (at most 55 bytes), for the Community ID hot
 * path: the caller writes the padded block as sixteen big-endian words straight from its numbers
 * (`words`, `pad`), `digest()` leaves the five digest words in `h`, and `base64To` writes them as
 * text into a byte buffer, two characters per store. No Buffer, hash object or native call per
 * message: for one block, node:crypto's call overhead costs more than the arithmetic does here.
 *
 * The compression function is unrolled: the five working variables rotate through the names
 * a–e instead of being moved every round, and the message schedule lives in sixteen locals
 * (w[t] replaces w[t-16]), so the 80 rounds run in registers.
 */

const BASE64 = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1');

/** Every 12-bit value as its two base64 digits, ready to store as one 16-bit element. */
const PAIRS = Uint16Array.from({ length: 4096 }, (_, v) => charPair(BASE64[v >>> 6]!, BASE64[v & 63]!));

/** The last 4 bits (padded with two zero bits to a digit) and '='. */
const LAST = Uint16Array.from({ length: 16 }, (_, v) => charPair(BASE64[v << 2]!, 61));

/** Length of `base64To`'s output: 20 bytes → 27 digits and one '='. */
export const SHA1_BASE64_LENGTH = 28;

export class Sha1Block {
  /** The block: the message, then 0x80, zeros and the bit length in word 15 (see `pad`). */
  readonly words = new Int32Array(16);
  /** The digest words h0..h4 of the last `digest()`. */
  readonly h = new Int32Array(5);

  /** The message length the block is padded for: its padding words are still in place. */
  private padded = -1;

  /**
   * Ends a message of `bytes` bytes (a multiple of 4, at most 52) and clears the rest of the
   * block. Callers write only message words, so while messages of one length follow each other
   * the padding stays in place and this returns at once.
   */
  pad(bytes: number): void {
    if (bytes === this.padded) return;
    this.padded = bytes;
    const words = this.words;
    const end = bytes >>> 2;
    words[end] = 0x80000000 | 0;
    for (let k = end + 1; k < 15; k++) words[k] = 0;
    words[15] = bytes * 8;
  }

  /** Hashes the block in `words` into `h`. */
  digest(): void {
    const m = this.words;
    let w0 = m[0]!;
    let w1 = m[1]!;
    let w2 = m[2]!;
    let w3 = m[3]!;
    let w4 = m[4]!;
    let w5 = m[5]!;
    let w6 = m[6]!;
    let w7 = m[7]!;
    let w8 = m[8]!;
    let w9 = m[9]!;
    let w10 = m[10]!;
    let w11 = m[11]!;
    let w12 = m[12]!;
    let w13 = m[13]!;
    let w14 = m[14]!;
    let w15 = m[15]!;
    let a = 0x67452301 | 0;
    let b = 0xefcdab89 | 0;
    let c = 0x98badcfe | 0;
    let d = 0x10325476 | 0;
    let e = 0xc3d2e1f0 | 0;
    let x = 0;
    // rounds 0–19
    e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + w0 + 0x5a827999) | 0;
    b = (b << 30) | (b >>> 2);
    d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + d + w1 + 0x5a827999) | 0;
    a = (a << 30) | (a >>> 2);
    c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + c + w2 + 0x5a827999) | 0;
    e = (e << 30) | (e >>> 2);
    b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b + w3 + 0x5a827999) | 0;
    d = (d << 30) | (d >>> 2);
    a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + a + w4 + 0x5a827999) | 0;
    c = (c << 30) | (c >>> 2);
    e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + w5 + 0x5a827999) | 0;
    b = (b << 30) | (b >>> 2);
    d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + d + w6 + 0x5a827999) | 0;
    a = (a << 30) | (a >>> 2);
    c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + c + w7 + 0x5a827999) | 0;
    e = (e << 30) | (e >>> 2);
    b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b + w8 + 0x5a827999) | 0;
    d = (d << 30) | (d >>> 2);
    a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + a + w9 + 0x5a827999) | 0;
    c = (c << 30) | (c >>> 2);
    e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + w10 + 0x5a827999) | 0;
    b = (b << 30) | (b >>> 2);
    d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + d + w11 + 0x5a827999) | 0;
    a = (a << 30) | (a >>> 2);
    c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + c + w12 + 0x5a827999) | 0;
    e = (e << 30) | (e >>> 2);
    b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b + w13 + 0x5a827999) | 0;
    d = (d << 30) | (d >>> 2);
    a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + a + w14 + 0x5a827999) | 0;
    c = (c << 30) | (c >>> 2);
    e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + w15 + 0x5a827999) | 0;
    b = (b << 30) | (b >>> 2);
    x = w13 ^ w8 ^ w2 ^ w0;
    w0 = (x << 1) | (x >>> 31);
    d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + d + w0 + 0x5a827999) | 0;
    a = (a << 30) | (a >>> 2);
    x = w14 ^ w9 ^ w3 ^ w1;
    w1 = (x << 1) | (x >>> 31);
    c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + c + w1 + 0x5a827999) | 0;
    e = (e << 30) | (e >>> 2);
    x = w15 ^ w10 ^ w4 ^ w2;
    w2 = (x << 1) | (x >>> 31);
    b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b + w2 + 0x5a827999) | 0;
    d = (d << 30) | (d >>> 2);
    x = w0 ^ w11 ^ w5 ^ w3;
    w3 = (x << 1) | (x >>> 31);
    a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + a + w3 + 0x5a827999) | 0;
    c = (c << 30) | (c >>> 2);
    // rounds 20–39
    x = w1 ^ w12 ^ w6 ^ w4;
    w4 = (x << 1) | (x >>> 31);
    e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w4 + 0x6ed9eba1) | 0;
    b = (b << 30) | (b >>> 2);
    x = w2 ^ w13 ^ w7 ^ w5;
    w5 = (x << 1) | (x >>> 31);
    d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + w5 + 0x6ed9eba1) | 0;
    a = (a << 30) | (a >>> 2);
    x = w3 ^ w14 ^ w8 ^ w6;
    w6 = (x << 1) | (x >>> 31);
    c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + w6 + 0x6ed9eba1) | 0;
    e = (e << 30) | (e >>> 2);
    x = w4 ^ w15 ^ w9 ^ w7;
    w7 = (x << 1) | (x >>> 31);
    b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + w7 + 0x6ed9eba1) | 0;
    d = (d << 30) | (d >>> 2);
    x = w5 ^ w0 ^ w10 ^ w8;
    w8 = (x << 1) | (x >>> 31);
    a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + w8 + 0x6ed9eba1) | 0;
    c = (c << 30) | (c >>> 2);
    x = w6 ^ w1 ^ w11 ^ w9;
    w9 = (x << 1) | (x >>> 31);
    e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w9 + 0x6ed9eba1) | 0;
    b = (b << 30) | (b >>> 2);
    x = w7 ^ w2 ^ w12 ^ w10;
    w10 = (x << 1) | (x >>> 31);
    d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + w10 + 0x6ed9eba1) | 0;
    a = (a << 30) | (a >>> 2);
    x = w8 ^ w3 ^ w13 ^ w11;
    w11 = (x << 1) | (x >>> 31);
    c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + w11 + 0x6ed9eba1) | 0;
    e = (e << 30) | (e >>> 2);
    x = w9 ^ w4 ^ w14 ^ w12;
    w12 = (x << 1) | (x >>> 31);
    b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + w12 + 0x6ed9eba1) | 0;
    d = (d << 30) | (d >>> 2);
    x = w10 ^ w5 ^ w15 ^ w13;
    w13 = (x << 1) | (x >>> 31);
    a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + w13 + 0x6ed9eba1) | 0;
    c = (c << 30) | (c >>> 2);
    x = w11 ^ w6 ^ w0 ^ w14;
    w14 = (x << 1) | (x >>> 31);
    e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w14 + 0x6ed9eba1) | 0;
    b = (b << 30) | (b >>> 2);
    x = w12 ^ w7 ^ w1 ^ w15;
    w15 = (x << 1) | (x >>> 31);
    d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + w15 + 0x6ed9eba1) | 0;
    a = (a << 30) | (a >>> 2);
    x = w13 ^ w8 ^ w2 ^ w0;
    w0 = (x << 1) | (x >>> 31);
    c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + w0 + 0x6ed9eba1) | 0;
    e = (e << 30) | (e >>> 2);
    x = w14 ^ w9 ^ w3 ^ w1;
    w1 = (x << 1) | (x >>> 31);
    b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + w1 + 0x6ed9eba1) | 0;
    d = (d << 30) | (d >>> 2);
    x = w15 ^ w10 ^ w4 ^ w2;
    w2 = (x << 1) | (x >>> 31);
    a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + w2 + 0x6ed9eba1) | 0;
    c = (c << 30) | (c >>> 2);
    x = w0 ^ w11 ^ w5 ^ w3;
    w3 = (x << 1) | (x >>> 31);
    e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w3 + 0x6ed9eba1) | 0;
    b = (b << 30) | (b >>> 2);
    x = w1 ^ w12 ^ w6 ^ w4;
    w4 = (x << 1) | (x >>> 31);
    d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + w4 + 0x6ed9eba1) | 0;
    a = (a << 30) | (a >>> 2);
    x = w2 ^ w13 ^ w7 ^ w5;
    w5 = (x << 1) | (x >>> 31);
    c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + w5 + 0x6ed9eba1) | 0;
    e = (e << 30) | (e >>> 2);
    x = w3 ^ w14 ^ w8 ^ w6;
    w6 = (x << 1) | (x >>> 31);
    b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + w6 + 0x6ed9eba1) | 0;
    d = (d << 30) | (d >>> 2);
    x = w4 ^ w15 ^ w9 ^ w7;
    w7 = (x << 1) | (x >>> 31);
    a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + w7 + 0x6ed9eba1) | 0;
    c = (c << 30) | (c >>> 2);
    // rounds 40–59
    x = w5 ^ w0 ^ w10 ^ w8;
    w8 = (x << 1) | (x >>> 31);
    e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + w8 + 0x8f1bbcdc) | 0;
    b = (b << 30) | (b >>> 2);
    x = w6 ^ w1 ^ w11 ^ w9;
    w9 = (x << 1) | (x >>> 31);
    d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) + d + w9 + 0x8f1bbcdc) | 0;
    a = (a << 30) | (a >>> 2);
    x = w7 ^ w2 ^ w12 ^ w10;
    w10 = (x << 1) | (x >>> 31);
    c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) + c + w10 + 0x8f1bbcdc) | 0;
    e = (e << 30) | (e >>> 2);
    x = w8 ^ w3 ^ w13 ^ w11;
    w11 = (x << 1) | (x >>> 31);
    b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b + w11 + 0x8f1bbcdc) | 0;
    d = (d << 30) | (d >>> 2);
    x = w9 ^ w4 ^ w14 ^ w12;
    w12 = (x << 1) | (x >>> 31);
    a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + w12 + 0x8f1bbcdc) | 0;
    c = (c << 30) | (c >>> 2);
    x = w10 ^ w5 ^ w15 ^ w13;
    w13 = (x << 1) | (x >>> 31);
    e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + w13 + 0x8f1bbcdc) | 0;
    b = (b << 30) | (b >>> 2);
    x = w11 ^ w6 ^ w0 ^ w14;
    w14 = (x << 1) | (x >>> 31);
    d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) + d + w14 + 0x8f1bbcdc) | 0;
    a = (a << 30) | (a >>> 2);
    x = w12 ^ w7 ^ w1 ^ w15;
    w15 = (x << 1) | (x >>> 31);
    c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) + c + w15 + 0x8f1bbcdc) | 0;
    e = (e << 30) | (e >>> 2);
    x = w13 ^ w8 ^ w2 ^ w0;
    w0 = (x << 1) | (x >>> 31);
    b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b + w0 + 0x8f1bbcdc) | 0;
    d = (d << 30) | (d >>> 2);
    x = w14 ^ w9 ^ w3 ^ w1;
    w1 = (x << 1) | (x >>> 31);
    a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + w1 + 0x8f1bbcdc) | 0;
    c = (c << 30) | (c >>> 2);
    x = w15 ^ w10 ^ w4 ^ w2;
    w2 = (x << 1) | (x >>> 31);
    e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + w2 + 0x8f1bbcdc) | 0;
    b = (b << 30) | (b >>> 2);
    x = w0 ^ w11 ^ w5 ^ w3;
    w3 = (x << 1) | (x >>> 31);
    d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) + d + w3 + 0x8f1bbcdc) | 0;
    a = (a << 30) | (a >>> 2);
    x = w1 ^ w12 ^ w6 ^ w4;
    w4 = (x << 1) | (x >>> 31);
    c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) + c + w4 + 0x8f1bbcdc) | 0;
    e = (e << 30) | (e >>> 2);
    x = w2 ^ w13 ^ w7 ^ w5;
    w5 = (x << 1) | (x >>> 31);
    b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b + w5 + 0x8f1bbcdc) | 0;
    d = (d << 30) | (d >>> 2);
    x = w3 ^ w14 ^ w8 ^ w6;
    w6 = (x << 1) | (x >>> 31);
    a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + w6 + 0x8f1bbcdc) | 0;
    c = (c << 30) | (c >>> 2);
    x = w4 ^ w15 ^ w9 ^ w7;
    w7 = (x << 1) | (x >>> 31);
    e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + w7 + 0x8f1bbcdc) | 0;
    b = (b << 30) | (b >>> 2);
    x = w5 ^ w0 ^ w10 ^ w8;
    w8 = (x << 1) | (x >>> 31);
    d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) + d + w8 + 0x8f1bbcdc) | 0;
    a = (a << 30) | (a >>> 2);
    x = w6 ^ w1 ^ w11 ^ w9;
    w9 = (x << 1) | (x >>> 31);
    c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) + c + w9 + 0x8f1bbcdc) | 0;
    e = (e << 30) | (e >>> 2);
    x = w7 ^ w2 ^ w12 ^ w10;
    w10 = (x << 1) | (x >>> 31);
    b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b + w10 + 0x8f1bbcdc) | 0;
    d = (d << 30) | (d >>> 2);
    x = w8 ^ w3 ^ w13 ^ w11;
    w11 = (x << 1) | (x >>> 31);
    a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + w11 + 0x8f1bbcdc) | 0;
    c = (c << 30) | (c >>> 2);
    // rounds 60–79
    x = w9 ^ w4 ^ w14 ^ w12;
    w12 = (x << 1) | (x >>> 31);
    e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w12 + 0xca62c1d6) | 0;
    b = (b << 30) | (b >>> 2);
    x = w10 ^ w5 ^ w15 ^ w13;
    w13 = (x << 1) | (x >>> 31);
    d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + w13 + 0xca62c1d6) | 0;
    a = (a << 30) | (a >>> 2);
    x = w11 ^ w6 ^ w0 ^ w14;
    w14 = (x << 1) | (x >>> 31);
    c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + w14 + 0xca62c1d6) | 0;
    e = (e << 30) | (e >>> 2);
    x = w12 ^ w7 ^ w1 ^ w15;
    w15 = (x << 1) | (x >>> 31);
    b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + w15 + 0xca62c1d6) | 0;
    d = (d << 30) | (d >>> 2);
    x = w13 ^ w8 ^ w2 ^ w0;
    w0 = (x << 1) | (x >>> 31);
    a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + w0 + 0xca62c1d6) | 0;
    c = (c << 30) | (c >>> 2);
    x = w14 ^ w9 ^ w3 ^ w1;
    w1 = (x << 1) | (x >>> 31);
    e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w1 + 0xca62c1d6) | 0;
    b = (b << 30) | (b >>> 2);
    x = w15 ^ w10 ^ w4 ^ w2;
    w2 = (x << 1) | (x >>> 31);
    d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + w2 + 0xca62c1d6) | 0;
    a = (a << 30) | (a >>> 2);
    x = w0 ^ w11 ^ w5 ^ w3;
    w3 = (x << 1) | (x >>> 31);
    c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + w3 + 0xca62c1d6) | 0;
    e = (e << 30) | (e >>> 2);
    x = w1 ^ w12 ^ w6 ^ w4;
    w4 = (x << 1) | (x >>> 31);
    b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + w4 + 0xca62c1d6) | 0;
    d = (d << 30) | (d >>> 2);
    x = w2 ^ w13 ^ w7 ^ w5;
    w5 = (x << 1) | (x >>> 31);
    a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + w5 + 0xca62c1d6) | 0;
    c = (c << 30) | (c >>> 2);
    x = w3 ^ w14 ^ w8 ^ w6;
    w6 = (x << 1) | (x >>> 31);
    e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w6 + 0xca62c1d6) | 0;
    b = (b << 30) | (b >>> 2);
    x = w4 ^ w15 ^ w9 ^ w7;
    w7 = (x << 1) | (x >>> 31);
    d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + w7 + 0xca62c1d6) | 0;
    a = (a << 30) | (a >>> 2);
    x = w5 ^ w0 ^ w10 ^ w8;
    w8 = (x << 1) | (x >>> 31);
    c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + w8 + 0xca62c1d6) | 0;
    e = (e << 30) | (e >>> 2);
    x = w6 ^ w1 ^ w11 ^ w9;
    w9 = (x << 1) | (x >>> 31);
    b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + w9 + 0xca62c1d6) | 0;
    d = (d << 30) | (d >>> 2);
    x = w7 ^ w2 ^ w12 ^ w10;
    w10 = (x << 1) | (x >>> 31);
    a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + w10 + 0xca62c1d6) | 0;
    c = (c << 30) | (c >>> 2);
    x = w8 ^ w3 ^ w13 ^ w11;
    w11 = (x << 1) | (x >>> 31);
    e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w11 + 0xca62c1d6) | 0;
    b = (b << 30) | (b >>> 2);
    x = w9 ^ w4 ^ w14 ^ w12;
    w12 = (x << 1) | (x >>> 31);
    d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + w12 + 0xca62c1d6) | 0;
    a = (a << 30) | (a >>> 2);
    x = w10 ^ w5 ^ w15 ^ w13;
    w13 = (x << 1) | (x >>> 31);
    c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + w13 + 0xca62c1d6) | 0;
    e = (e << 30) | (e >>> 2);
    x = w11 ^ w6 ^ w0 ^ w14;
    w14 = (x << 1) | (x >>> 31);
    b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + w14 + 0xca62c1d6) | 0;
    d = (d << 30) | (d >>> 2);
    x = w12 ^ w7 ^ w1 ^ w15;
    w15 = (x << 1) | (x >>> 31);
    a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + w15 + 0xca62c1d6) | 0;
    c = (c << 30) | (c >>> 2);

    const h = this.h;
    h[0] = (0x67452301 + a) | 0;
    h[1] = (0xefcdab89 + b) | 0;
    h[2] = (0x98badcfe + c) | 0;
    h[3] = (0x10325476 + d) | 0;
    h[4] = (0xc3d2e1f0 + e) | 0;
  }

  /**
   * Writes the digest as padded base64 (SHA1_BASE64_LENGTH characters of ASCII) into the bytes
   * under `out` from its element `at` on, two characters per element.
   */
  base64To(out: Uint16Array, at: number): void {
    const h = this.h;
    const h0 = h[0]!;
    const h1 = h[1]!;
    const h2 = h[2]!;
    const h3 = h[3]!;
    const h4 = h[4]!;
    // The 160 bits as six 24-bit groups (four digits, two pairs each), then 16 bits (three digits
    // and '='); a pair is 12 bits.
    const g0 = h0 >>> 8;
    const g1 = ((h0 & 0xff) << 16) | (h1 >>> 16);
    const g2 = ((h1 & 0xffff) << 8) | (h2 >>> 24);
    const g3 = h2 & 0xffffff;
    const g4 = h3 >>> 8;
    const g5 = ((h3 & 0xff) << 16) | (h4 >>> 16);
    const last = h4 & 0xffff;
    out[at] = PAIRS[g0 >>> 12]!;
    out[at + 1] = PAIRS[g0 & 4095]!;
    out[at + 2] = PAIRS[g1 >>> 12]!;
    out[at + 3] = PAIRS[g1 & 4095]!;
    out[at + 4] = PAIRS[g2 >>> 12]!;
    out[at + 5] = PAIRS[g2 & 4095]!;
    out[at + 6] = PAIRS[g3 >>> 12]!;
    out[at + 7] = PAIRS[g3 & 4095]!;
    out[at + 8] = PAIRS[g4 >>> 12]!;
    out[at + 9] = PAIRS[g4 & 4095]!;
    out[at + 10] = PAIRS[g5 >>> 12]!;
    out[at + 11] = PAIRS[g5 & 4095]!;
    out[at + 12] = PAIRS[last >>> 4]!;
    out[at + 13] = LAST[last & 15]!;
  }
}
