// flowlens Community ID kernel (AssemblyScript, compiled to WebAssembly by `npm run build:wasm`).
//
// Computes the Community ID v1 of every row of a batch: the endpoints are ordered and the
// one-block SHA-1 input is built per row, then four blocks at a time are hashed in the four
// 32-bit lanes of SIMD registers, and each digest is written as its five words and as text
// ("1:" and padded base64). Every flow tuple, IPv4 or IPv6, fits one 64-byte block, so a hash
// is always exactly one compression. The output is what the JavaScript path
// (src/enrich/community-id.ts) gives, value for value.
//
// Memory is laid out by the JavaScript side (src/enrich/community-id-wasm.ts), which also
// writes the tables below once; this module owns no allocations. The offsets are shared with it.

// Tables, written by the caller when the instance is made.
const PAIRS: usize = 0; // 4096 × u16: every 12-bit value as two base64 digits
const LAST: usize = 8192; // 16 × u16: the last 4 bits as a digit, then '='
const ICMP4: usize = 8256; // 256 × i16: the paired ICMP type, or -1 (one-way type)
const ICMP6: usize = 8768; // 256 × i16: likewise for ICMPv6
const PORTS: usize = 9280; // 256 × u8: 1 when the protocol's input carries the two ports
// Scratch of this module: four lanes.
const BLOCK: usize = 9728; // 16 × v128: word t of the four lanes' blocks at BLOCK + 16t
const LANE_CODE: usize = 9984; // 4 × u32: the code each lane's row got
const DIGEST: usize = 10000; // 5 × v128: h0..h4 of the four lanes
const LANE_PADDED: usize = 10080; // 4 × u32: the message length each lane's block is padded for
const LANES: usize = 4;

const VERSION_PREFIX: u16 = 0x3a31; // "1:" as one little-endian store

/** JavaScript's `x & 0xffff` for a number (ToInt32: truncate, modulo 2^32; NaN and ±∞ are 0). */
@inline function low16(x: f64): u32 {
  // the common case, a port number, first: no remainder needed
  if (x >= 0 && x <= 65535) return <u32>x;
  if (!isFinite(x)) return 0;
  let m = trunc(x) % 65536;
  if (m < 0) m += 65536;
  return <u32>m;
}

@inline function rotl(x: v128, n: i32): v128 {
  return v128.or(i32x4.shl(x, n), i32x4.shr_u(x, 32 - n));
}

// Ch(b, c, d) = (b & c) | (~b & d): c where b has a one, else d
@inline function ch(b: v128, c: v128, d: v128): v128 {
  return v128.bitselect(c, d, b);
}

@inline function parity(b: v128, c: v128, d: v128): v128 {
  return v128.xor(v128.xor(b, c), d);
}

// Maj(b, c, d): b where b and c agree, else d
@inline function maj(b: v128, c: v128, d: v128): v128 {
  return v128.bitselect(d, b, v128.xor(b, c));
}

/**
 * SHA-1 of the four blocks at BLOCK (one per lane); the digest words go to DIGEST. Unrolled as
 * the JavaScript one is (src/enrich/sha1-block.ts): the working variables rotate through the
 * names a–e, the message schedule lives in sixteen locals (w[t] replaces w[t−16]), and in each
 * round rotl(a, 5) is added last, the rest of the sum being ready before it.
 */
function hash4(): void {
  const H0 = i32x4.splat(0x67452301);
  const H1 = i32x4.splat(0xefcdab89);
  const H2 = i32x4.splat(0x98badcfe);
  const H3 = i32x4.splat(0x10325476);
  const H4 = i32x4.splat(0xc3d2e1f0);
  const K0 = i32x4.splat(0x5a827999);
  const K1 = i32x4.splat(0x6ed9eba1);
  const K2 = i32x4.splat(0x8f1bbcdc);
  const K3 = i32x4.splat(0xca62c1d6);
  let w0 = v128.load(BLOCK);
  let w1 = v128.load(BLOCK + 16);
  let w2 = v128.load(BLOCK + 32);
  let w3 = v128.load(BLOCK + 48);
  let w4 = v128.load(BLOCK + 64);
  let w5 = v128.load(BLOCK + 80);
  let w6 = v128.load(BLOCK + 96);
  let w7 = v128.load(BLOCK + 112);
  let w8 = v128.load(BLOCK + 128);
  let w9 = v128.load(BLOCK + 144);
  let w10 = v128.load(BLOCK + 160);
  let w11 = v128.load(BLOCK + 176);
  let w12 = v128.load(BLOCK + 192);
  let w13 = v128.load(BLOCK + 208);
  let w14 = v128.load(BLOCK + 224);
  let w15 = v128.load(BLOCK + 240);
  let a = H0;
  let b = H1;
  let c = H2;
  let d = H3;
  let e = H4;
  // rounds 0–19
  e = i32x4.add(rotl(a, 5), i32x4.add(i32x4.add(ch(b, c, d), w0), i32x4.add(e, K0)));
  b = rotl(b, 30);
  d = i32x4.add(rotl(e, 5), i32x4.add(i32x4.add(ch(a, b, c), w1), i32x4.add(d, K0)));
  a = rotl(a, 30);
  c = i32x4.add(rotl(d, 5), i32x4.add(i32x4.add(ch(e, a, b), w2), i32x4.add(c, K0)));
  e = rotl(e, 30);
  b = i32x4.add(rotl(c, 5), i32x4.add(i32x4.add(ch(d, e, a), w3), i32x4.add(b, K0)));
  d = rotl(d, 30);
  a = i32x4.add(rotl(b, 5), i32x4.add(i32x4.add(ch(c, d, e), w4), i32x4.add(a, K0)));
  c = rotl(c, 30);
  e = i32x4.add(rotl(a, 5), i32x4.add(i32x4.add(ch(b, c, d), w5), i32x4.add(e, K0)));
  b = rotl(b, 30);
  d = i32x4.add(rotl(e, 5), i32x4.add(i32x4.add(ch(a, b, c), w6), i32x4.add(d, K0)));
  a = rotl(a, 30);
  c = i32x4.add(rotl(d, 5), i32x4.add(i32x4.add(ch(e, a, b), w7), i32x4.add(c, K0)));
  e = rotl(e, 30);
  b = i32x4.add(rotl(c, 5), i32x4.add(i32x4.add(ch(d, e, a), w8), i32x4.add(b, K0)));
  d = rotl(d, 30);
  a = i32x4.add(rotl(b, 5), i32x4.add(i32x4.add(ch(c, d, e), w9), i32x4.add(a, K0)));
  c = rotl(c, 30);
  e = i32x4.add(rotl(a, 5), i32x4.add(i32x4.add(ch(b, c, d), w10), i32x4.add(e, K0)));
  b = rotl(b, 30);
  d = i32x4.add(rotl(e, 5), i32x4.add(i32x4.add(ch(a, b, c), w11), i32x4.add(d, K0)));
  a = rotl(a, 30);
  c = i32x4.add(rotl(d, 5), i32x4.add(i32x4.add(ch(e, a, b), w12), i32x4.add(c, K0)));
  e = rotl(e, 30);
  b = i32x4.add(rotl(c, 5), i32x4.add(i32x4.add(ch(d, e, a), w13), i32x4.add(b, K0)));
  d = rotl(d, 30);
  a = i32x4.add(rotl(b, 5), i32x4.add(i32x4.add(ch(c, d, e), w14), i32x4.add(a, K0)));
  c = rotl(c, 30);
  e = i32x4.add(rotl(a, 5), i32x4.add(i32x4.add(ch(b, c, d), w15), i32x4.add(e, K0)));
  b = rotl(b, 30);
  w0 = rotl(v128.xor(v128.xor(w13, w8), v128.xor(w2, w0)), 1);
  d = i32x4.add(rotl(e, 5), i32x4.add(i32x4.add(ch(a, b, c), w0), i32x4.add(d, K0)));
  a = rotl(a, 30);
  w1 = rotl(v128.xor(v128.xor(w14, w9), v128.xor(w3, w1)), 1);
  c = i32x4.add(rotl(d, 5), i32x4.add(i32x4.add(ch(e, a, b), w1), i32x4.add(c, K0)));
  e = rotl(e, 30);
  w2 = rotl(v128.xor(v128.xor(w15, w10), v128.xor(w4, w2)), 1);
  b = i32x4.add(rotl(c, 5), i32x4.add(i32x4.add(ch(d, e, a), w2), i32x4.add(b, K0)));
  d = rotl(d, 30);
  w3 = rotl(v128.xor(v128.xor(w0, w11), v128.xor(w5, w3)), 1);
  a = i32x4.add(rotl(b, 5), i32x4.add(i32x4.add(ch(c, d, e), w3), i32x4.add(a, K0)));
  c = rotl(c, 30);
  // rounds 20–39
  w4 = rotl(v128.xor(v128.xor(w1, w12), v128.xor(w6, w4)), 1);
  e = i32x4.add(rotl(a, 5), i32x4.add(i32x4.add(parity(b, c, d), w4), i32x4.add(e, K1)));
  b = rotl(b, 30);
  w5 = rotl(v128.xor(v128.xor(w2, w13), v128.xor(w7, w5)), 1);
  d = i32x4.add(rotl(e, 5), i32x4.add(i32x4.add(parity(a, b, c), w5), i32x4.add(d, K1)));
  a = rotl(a, 30);
  w6 = rotl(v128.xor(v128.xor(w3, w14), v128.xor(w8, w6)), 1);
  c = i32x4.add(rotl(d, 5), i32x4.add(i32x4.add(parity(e, a, b), w6), i32x4.add(c, K1)));
  e = rotl(e, 30);
  w7 = rotl(v128.xor(v128.xor(w4, w15), v128.xor(w9, w7)), 1);
  b = i32x4.add(rotl(c, 5), i32x4.add(i32x4.add(parity(d, e, a), w7), i32x4.add(b, K1)));
  d = rotl(d, 30);
  w8 = rotl(v128.xor(v128.xor(w5, w0), v128.xor(w10, w8)), 1);
  a = i32x4.add(rotl(b, 5), i32x4.add(i32x4.add(parity(c, d, e), w8), i32x4.add(a, K1)));
  c = rotl(c, 30);
  w9 = rotl(v128.xor(v128.xor(w6, w1), v128.xor(w11, w9)), 1);
  e = i32x4.add(rotl(a, 5), i32x4.add(i32x4.add(parity(b, c, d), w9), i32x4.add(e, K1)));
  b = rotl(b, 30);
  w10 = rotl(v128.xor(v128.xor(w7, w2), v128.xor(w12, w10)), 1);
  d = i32x4.add(rotl(e, 5), i32x4.add(i32x4.add(parity(a, b, c), w10), i32x4.add(d, K1)));
  a = rotl(a, 30);
  w11 = rotl(v128.xor(v128.xor(w8, w3), v128.xor(w13, w11)), 1);
  c = i32x4.add(rotl(d, 5), i32x4.add(i32x4.add(parity(e, a, b), w11), i32x4.add(c, K1)));
  e = rotl(e, 30);
  w12 = rotl(v128.xor(v128.xor(w9, w4), v128.xor(w14, w12)), 1);
  b = i32x4.add(rotl(c, 5), i32x4.add(i32x4.add(parity(d, e, a), w12), i32x4.add(b, K1)));
  d = rotl(d, 30);
  w13 = rotl(v128.xor(v128.xor(w10, w5), v128.xor(w15, w13)), 1);
  a = i32x4.add(rotl(b, 5), i32x4.add(i32x4.add(parity(c, d, e), w13), i32x4.add(a, K1)));
  c = rotl(c, 30);
  w14 = rotl(v128.xor(v128.xor(w11, w6), v128.xor(w0, w14)), 1);
  e = i32x4.add(rotl(a, 5), i32x4.add(i32x4.add(parity(b, c, d), w14), i32x4.add(e, K1)));
  b = rotl(b, 30);
  w15 = rotl(v128.xor(v128.xor(w12, w7), v128.xor(w1, w15)), 1);
  d = i32x4.add(rotl(e, 5), i32x4.add(i32x4.add(parity(a, b, c), w15), i32x4.add(d, K1)));
  a = rotl(a, 30);
  w0 = rotl(v128.xor(v128.xor(w13, w8), v128.xor(w2, w0)), 1);
  c = i32x4.add(rotl(d, 5), i32x4.add(i32x4.add(parity(e, a, b), w0), i32x4.add(c, K1)));
  e = rotl(e, 30);
  w1 = rotl(v128.xor(v128.xor(w14, w9), v128.xor(w3, w1)), 1);
  b = i32x4.add(rotl(c, 5), i32x4.add(i32x4.add(parity(d, e, a), w1), i32x4.add(b, K1)));
  d = rotl(d, 30);
  w2 = rotl(v128.xor(v128.xor(w15, w10), v128.xor(w4, w2)), 1);
  a = i32x4.add(rotl(b, 5), i32x4.add(i32x4.add(parity(c, d, e), w2), i32x4.add(a, K1)));
  c = rotl(c, 30);
  w3 = rotl(v128.xor(v128.xor(w0, w11), v128.xor(w5, w3)), 1);
  e = i32x4.add(rotl(a, 5), i32x4.add(i32x4.add(parity(b, c, d), w3), i32x4.add(e, K1)));
  b = rotl(b, 30);
  w4 = rotl(v128.xor(v128.xor(w1, w12), v128.xor(w6, w4)), 1);
  d = i32x4.add(rotl(e, 5), i32x4.add(i32x4.add(parity(a, b, c), w4), i32x4.add(d, K1)));
  a = rotl(a, 30);
  w5 = rotl(v128.xor(v128.xor(w2, w13), v128.xor(w7, w5)), 1);
  c = i32x4.add(rotl(d, 5), i32x4.add(i32x4.add(parity(e, a, b), w5), i32x4.add(c, K1)));
  e = rotl(e, 30);
  w6 = rotl(v128.xor(v128.xor(w3, w14), v128.xor(w8, w6)), 1);
  b = i32x4.add(rotl(c, 5), i32x4.add(i32x4.add(parity(d, e, a), w6), i32x4.add(b, K1)));
  d = rotl(d, 30);
  w7 = rotl(v128.xor(v128.xor(w4, w15), v128.xor(w9, w7)), 1);
  a = i32x4.add(rotl(b, 5), i32x4.add(i32x4.add(parity(c, d, e), w7), i32x4.add(a, K1)));
  c = rotl(c, 30);
  // rounds 40–59
  w8 = rotl(v128.xor(v128.xor(w5, w0), v128.xor(w10, w8)), 1);
  e = i32x4.add(rotl(a, 5), i32x4.add(i32x4.add(maj(b, c, d), w8), i32x4.add(e, K2)));
  b = rotl(b, 30);
  w9 = rotl(v128.xor(v128.xor(w6, w1), v128.xor(w11, w9)), 1);
  d = i32x4.add(rotl(e, 5), i32x4.add(i32x4.add(maj(a, b, c), w9), i32x4.add(d, K2)));
  a = rotl(a, 30);
  w10 = rotl(v128.xor(v128.xor(w7, w2), v128.xor(w12, w10)), 1);
  c = i32x4.add(rotl(d, 5), i32x4.add(i32x4.add(maj(e, a, b), w10), i32x4.add(c, K2)));
  e = rotl(e, 30);
  w11 = rotl(v128.xor(v128.xor(w8, w3), v128.xor(w13, w11)), 1);
  b = i32x4.add(rotl(c, 5), i32x4.add(i32x4.add(maj(d, e, a), w11), i32x4.add(b, K2)));
  d = rotl(d, 30);
  w12 = rotl(v128.xor(v128.xor(w9, w4), v128.xor(w14, w12)), 1);
  a = i32x4.add(rotl(b, 5), i32x4.add(i32x4.add(maj(c, d, e), w12), i32x4.add(a, K2)));
  c = rotl(c, 30);
  w13 = rotl(v128.xor(v128.xor(w10, w5), v128.xor(w15, w13)), 1);
  e = i32x4.add(rotl(a, 5), i32x4.add(i32x4.add(maj(b, c, d), w13), i32x4.add(e, K2)));
  b = rotl(b, 30);
  w14 = rotl(v128.xor(v128.xor(w11, w6), v128.xor(w0, w14)), 1);
  d = i32x4.add(rotl(e, 5), i32x4.add(i32x4.add(maj(a, b, c), w14), i32x4.add(d, K2)));
  a = rotl(a, 30);
  w15 = rotl(v128.xor(v128.xor(w12, w7), v128.xor(w1, w15)), 1);
  c = i32x4.add(rotl(d, 5), i32x4.add(i32x4.add(maj(e, a, b), w15), i32x4.add(c, K2)));
  e = rotl(e, 30);
  w0 = rotl(v128.xor(v128.xor(w13, w8), v128.xor(w2, w0)), 1);
  b = i32x4.add(rotl(c, 5), i32x4.add(i32x4.add(maj(d, e, a), w0), i32x4.add(b, K2)));
  d = rotl(d, 30);
  w1 = rotl(v128.xor(v128.xor(w14, w9), v128.xor(w3, w1)), 1);
  a = i32x4.add(rotl(b, 5), i32x4.add(i32x4.add(maj(c, d, e), w1), i32x4.add(a, K2)));
  c = rotl(c, 30);
  w2 = rotl(v128.xor(v128.xor(w15, w10), v128.xor(w4, w2)), 1);
  e = i32x4.add(rotl(a, 5), i32x4.add(i32x4.add(maj(b, c, d), w2), i32x4.add(e, K2)));
  b = rotl(b, 30);
  w3 = rotl(v128.xor(v128.xor(w0, w11), v128.xor(w5, w3)), 1);
  d = i32x4.add(rotl(e, 5), i32x4.add(i32x4.add(maj(a, b, c), w3), i32x4.add(d, K2)));
  a = rotl(a, 30);
  w4 = rotl(v128.xor(v128.xor(w1, w12), v128.xor(w6, w4)), 1);
  c = i32x4.add(rotl(d, 5), i32x4.add(i32x4.add(maj(e, a, b), w4), i32x4.add(c, K2)));
  e = rotl(e, 30);
  w5 = rotl(v128.xor(v128.xor(w2, w13), v128.xor(w7, w5)), 1);
  b = i32x4.add(rotl(c, 5), i32x4.add(i32x4.add(maj(d, e, a), w5), i32x4.add(b, K2)));
  d = rotl(d, 30);
  w6 = rotl(v128.xor(v128.xor(w3, w14), v128.xor(w8, w6)), 1);
  a = i32x4.add(rotl(b, 5), i32x4.add(i32x4.add(maj(c, d, e), w6), i32x4.add(a, K2)));
  c = rotl(c, 30);
  w7 = rotl(v128.xor(v128.xor(w4, w15), v128.xor(w9, w7)), 1);
  e = i32x4.add(rotl(a, 5), i32x4.add(i32x4.add(maj(b, c, d), w7), i32x4.add(e, K2)));
  b = rotl(b, 30);
  w8 = rotl(v128.xor(v128.xor(w5, w0), v128.xor(w10, w8)), 1);
  d = i32x4.add(rotl(e, 5), i32x4.add(i32x4.add(maj(a, b, c), w8), i32x4.add(d, K2)));
  a = rotl(a, 30);
  w9 = rotl(v128.xor(v128.xor(w6, w1), v128.xor(w11, w9)), 1);
  c = i32x4.add(rotl(d, 5), i32x4.add(i32x4.add(maj(e, a, b), w9), i32x4.add(c, K2)));
  e = rotl(e, 30);
  w10 = rotl(v128.xor(v128.xor(w7, w2), v128.xor(w12, w10)), 1);
  b = i32x4.add(rotl(c, 5), i32x4.add(i32x4.add(maj(d, e, a), w10), i32x4.add(b, K2)));
  d = rotl(d, 30);
  w11 = rotl(v128.xor(v128.xor(w8, w3), v128.xor(w13, w11)), 1);
  a = i32x4.add(rotl(b, 5), i32x4.add(i32x4.add(maj(c, d, e), w11), i32x4.add(a, K2)));
  c = rotl(c, 30);
  // rounds 60–79
  w12 = rotl(v128.xor(v128.xor(w9, w4), v128.xor(w14, w12)), 1);
  e = i32x4.add(rotl(a, 5), i32x4.add(i32x4.add(parity(b, c, d), w12), i32x4.add(e, K3)));
  b = rotl(b, 30);
  w13 = rotl(v128.xor(v128.xor(w10, w5), v128.xor(w15, w13)), 1);
  d = i32x4.add(rotl(e, 5), i32x4.add(i32x4.add(parity(a, b, c), w13), i32x4.add(d, K3)));
  a = rotl(a, 30);
  w14 = rotl(v128.xor(v128.xor(w11, w6), v128.xor(w0, w14)), 1);
  c = i32x4.add(rotl(d, 5), i32x4.add(i32x4.add(parity(e, a, b), w14), i32x4.add(c, K3)));
  e = rotl(e, 30);
  w15 = rotl(v128.xor(v128.xor(w12, w7), v128.xor(w1, w15)), 1);
  b = i32x4.add(rotl(c, 5), i32x4.add(i32x4.add(parity(d, e, a), w15), i32x4.add(b, K3)));
  d = rotl(d, 30);
  w0 = rotl(v128.xor(v128.xor(w13, w8), v128.xor(w2, w0)), 1);
  a = i32x4.add(rotl(b, 5), i32x4.add(i32x4.add(parity(c, d, e), w0), i32x4.add(a, K3)));
  c = rotl(c, 30);
  w1 = rotl(v128.xor(v128.xor(w14, w9), v128.xor(w3, w1)), 1);
  e = i32x4.add(rotl(a, 5), i32x4.add(i32x4.add(parity(b, c, d), w1), i32x4.add(e, K3)));
  b = rotl(b, 30);
  w2 = rotl(v128.xor(v128.xor(w15, w10), v128.xor(w4, w2)), 1);
  d = i32x4.add(rotl(e, 5), i32x4.add(i32x4.add(parity(a, b, c), w2), i32x4.add(d, K3)));
  a = rotl(a, 30);
  w3 = rotl(v128.xor(v128.xor(w0, w11), v128.xor(w5, w3)), 1);
  c = i32x4.add(rotl(d, 5), i32x4.add(i32x4.add(parity(e, a, b), w3), i32x4.add(c, K3)));
  e = rotl(e, 30);
  w4 = rotl(v128.xor(v128.xor(w1, w12), v128.xor(w6, w4)), 1);
  b = i32x4.add(rotl(c, 5), i32x4.add(i32x4.add(parity(d, e, a), w4), i32x4.add(b, K3)));
  d = rotl(d, 30);
  w5 = rotl(v128.xor(v128.xor(w2, w13), v128.xor(w7, w5)), 1);
  a = i32x4.add(rotl(b, 5), i32x4.add(i32x4.add(parity(c, d, e), w5), i32x4.add(a, K3)));
  c = rotl(c, 30);
  w6 = rotl(v128.xor(v128.xor(w3, w14), v128.xor(w8, w6)), 1);
  e = i32x4.add(rotl(a, 5), i32x4.add(i32x4.add(parity(b, c, d), w6), i32x4.add(e, K3)));
  b = rotl(b, 30);
  w7 = rotl(v128.xor(v128.xor(w4, w15), v128.xor(w9, w7)), 1);
  d = i32x4.add(rotl(e, 5), i32x4.add(i32x4.add(parity(a, b, c), w7), i32x4.add(d, K3)));
  a = rotl(a, 30);
  w8 = rotl(v128.xor(v128.xor(w5, w0), v128.xor(w10, w8)), 1);
  c = i32x4.add(rotl(d, 5), i32x4.add(i32x4.add(parity(e, a, b), w8), i32x4.add(c, K3)));
  e = rotl(e, 30);
  w9 = rotl(v128.xor(v128.xor(w6, w1), v128.xor(w11, w9)), 1);
  b = i32x4.add(rotl(c, 5), i32x4.add(i32x4.add(parity(d, e, a), w9), i32x4.add(b, K3)));
  d = rotl(d, 30);
  w10 = rotl(v128.xor(v128.xor(w7, w2), v128.xor(w12, w10)), 1);
  a = i32x4.add(rotl(b, 5), i32x4.add(i32x4.add(parity(c, d, e), w10), i32x4.add(a, K3)));
  c = rotl(c, 30);
  w11 = rotl(v128.xor(v128.xor(w8, w3), v128.xor(w13, w11)), 1);
  e = i32x4.add(rotl(a, 5), i32x4.add(i32x4.add(parity(b, c, d), w11), i32x4.add(e, K3)));
  b = rotl(b, 30);
  w12 = rotl(v128.xor(v128.xor(w9, w4), v128.xor(w14, w12)), 1);
  d = i32x4.add(rotl(e, 5), i32x4.add(i32x4.add(parity(a, b, c), w12), i32x4.add(d, K3)));
  a = rotl(a, 30);
  w13 = rotl(v128.xor(v128.xor(w10, w5), v128.xor(w15, w13)), 1);
  c = i32x4.add(rotl(d, 5), i32x4.add(i32x4.add(parity(e, a, b), w13), i32x4.add(c, K3)));
  e = rotl(e, 30);
  w14 = rotl(v128.xor(v128.xor(w11, w6), v128.xor(w0, w14)), 1);
  b = i32x4.add(rotl(c, 5), i32x4.add(i32x4.add(parity(d, e, a), w14), i32x4.add(b, K3)));
  d = rotl(d, 30);
  w15 = rotl(v128.xor(v128.xor(w12, w7), v128.xor(w1, w15)), 1);
  a = i32x4.add(rotl(b, 5), i32x4.add(i32x4.add(parity(c, d, e), w15), i32x4.add(a, K3)));
  c = rotl(c, 30);
  v128.store(DIGEST, i32x4.add(H0, a));
  v128.store(DIGEST + 16, i32x4.add(H1, b));
  v128.store(DIGEST + 32, i32x4.add(H2, c));
  v128.store(DIGEST + 48, i32x4.add(H3, d));
  v128.store(DIGEST + 64, i32x4.add(H4, e));
}

/** Word t of lane l's block. */
@inline function put(l: usize, t: usize, v: u32): void {
  store<u32>(BLOCK + (t << 4) + (l << 2), v);
}

/**
 * Ends lane l's message of `bytes` bytes: 0x80, zeros, the bit length in word 15. Rows write
 * only message words, so while a lane's messages keep one length (most flows are IPv4 with
 * ports) its padding stays in place and this returns at once.
 */
@inline function pad(l: usize, bytes: u32): void {
  const last = LANE_PADDED + (l << 2);
  if (load<u32>(last) == bytes) return;
  store<u32>(last, bytes);
  const end = <usize>(bytes >> 2);
  put(l, end, 0x80000000);
  for (let t = end + 1; t < 15; t++) put(l, t, 0);
  put(l, 15, bytes << 3);
}

@inline function pair(v: u32): u16 {
  return load<u16>(PAIRS + (<usize>v << 1));
}

/** Writes the digests and ids of the first `lanes` lanes. */
function emit(lanes: i32, digests: usize, text: usize): void {
  for (let l = 0; l < lanes; l++) {
    const at = DIGEST + (<usize>l << 2);
    const h0 = load<u32>(at);
    const h1 = load<u32>(at, 16);
    const h2 = load<u32>(at, 32);
    const h3 = load<u32>(at, 48);
    const h4 = load<u32>(at, 64);
    const code = <usize>load<u32>(LANE_CODE + (<usize>l << 2));
    const dw = digests + code * 20;
    store<u32>(dw, h0);
    store<u32>(dw, h1, 4);
    store<u32>(dw, h2, 8);
    store<u32>(dw, h3, 12);
    store<u32>(dw, h4, 16);
    // 160 bits: six 24-bit groups of four digits, then 16 bits as three digits and '='
    const g0 = h0 >>> 8;
    const g1 = ((h0 & 0xff) << 16) | (h1 >>> 16);
    const g2 = ((h1 & 0xffff) << 8) | (h2 >>> 24);
    const g3 = h2 & 0xffffff;
    const g4 = h3 >>> 8;
    const g5 = ((h3 & 0xff) << 16) | (h4 >>> 16);
    const last = h4 & 0xffff;
    const p = text + (code - 1) * 30;
    store<u16>(p, VERSION_PREFIX);
    store<u16>(p, pair(g0 >>> 12), 2);
    store<u16>(p, pair(g0 & 4095), 4);
    store<u16>(p, pair(g1 >>> 12), 6);
    store<u16>(p, pair(g1 & 4095), 8);
    store<u16>(p, pair(g2 >>> 12), 10);
    store<u16>(p, pair(g2 & 4095), 12);
    store<u16>(p, pair(g3 >>> 12), 14);
    store<u16>(p, pair(g3 & 4095), 16);
    store<u16>(p, pair(g4 >>> 12), 18);
    store<u16>(p, pair(g4 & 4095), 20);
    store<u16>(p, pair(g5 >>> 12), 22);
    store<u16>(p, pair(g5 & 4095), 24);
    store<u16>(p, pair(last >>> 4), 26);
    store<u16>(p, load<u16>(LAST + (<usize>(last & 15) << 1)), 28);
  }
}

/**
 * The ids of rows 0..n. Per distinct address id: `family` (u8: 4, 6, or 0 for not an address;
 * id 0 is 0) and `words` (four big-endian u32 words; IPv4 in the first). Per row: `src`, `dst`
 * (u32 address ids), `proto`, `sport`, `dport` (f64, NaN for a missing value). Row i gets
 * `codes[i]`: 0 when it has no id, else the next code (1, 2, … in row order); code c's digest
 * goes to `digests` + 20c (five u32 words) and its 30 characters to `text` + 30(c − 1).
 * Returns the number of ids.
 */
export function communityIds(
  seed: u32,
  n: i32,
  family: usize,
  words: usize,
  src: usize,
  dst: usize,
  proto: usize,
  sport: usize,
  dport: usize,
  codes: usize,
  digests: usize,
  text: usize,
): i32 {
  const seedHigh = seed << 16;
  let count: u32 = 0;
  let lane: usize = 0;
  for (let i = 0; i < n; i++) {
    const ri = <usize>i << 2;
    const rf = <usize>i << 3;
    store<u32>(codes + ri, 0);
    const s = <usize>load<u32>(src + ri);
    const d = <usize>load<u32>(dst + ri);
    const fam = load<u8>(family + s);
    const pr = load<f64>(proto + rf);
    if (fam == 0 || fam != load<u8>(family + d) || !(pr >= 0 && pr <= 255 && floor(pr) == pr)) continue;
    const p = <u32>pr;
    let sp = load<f64>(sport + rf);
    let dp = load<f64>(dport + rf);
    if (isNaN(sp)) sp = 0;
    if (isNaN(dp)) dp = 0;
    let oneWay = false;
    if (p == 1 || p == 58) {
      // Flow logs carry the ICMP type in srcport and the code in dstport.
      let paired: i32 = -1;
      if (sp >= 0 && sp <= 255 && floor(sp) == sp) {
        paired = <i32>load<i16>((p == 1 ? ICMP4 : ICMP6) + (<usize>(<u32>sp) << 1));
      }
      if (paired < 0) oneWay = true;
      else dp = <f64>paired;
    }
    let a = words + (s << 4);
    let b = words + (d << 4);
    if (!oneWay) {
      // Lower endpoint first: addresses as unsigned words, then the ports.
      let x = load<u32>(a);
      let y = load<u32>(b);
      if (fam == 6) {
        for (let j: usize = 4; x == y && j < 16; j += 4) {
          x = load<u32>(a + j);
          y = load<u32>(b + j);
        }
      }
      if (x > y || (x == y && sp > dp)) {
        const t = a;
        a = b;
        b = t;
        const u = sp;
        sp = dp;
        dp = u;
      }
    }
    // seed(2) · src · dst · proto(1) · 0(1) · [src port(2) · dst port(2)], as big-endian words
    const protoPad = p << 8;
    const ports = (low16(sp) << 16) | low16(dp);
    const withPorts = load<u8>(PORTS + <usize>p) != 0;
    if (fam == 4) {
      const x = load<u32>(a);
      const y = load<u32>(b);
      put(lane, 0, seedHigh | (x >>> 16));
      put(lane, 1, (x << 16) | (y >>> 16));
      put(lane, 2, (y << 16) | protoPad);
      if (withPorts) {
        put(lane, 3, ports);
        pad(lane, 16);
      } else {
        pad(lane, 12);
      }
    } else {
      const a0 = load<u32>(a);
      const a1 = load<u32>(a, 4);
      const a2 = load<u32>(a, 8);
      const a3 = load<u32>(a, 12);
      const b0 = load<u32>(b);
      const b1 = load<u32>(b, 4);
      const b2 = load<u32>(b, 8);
      const b3 = load<u32>(b, 12);
      put(lane, 0, seedHigh | (a0 >>> 16));
      put(lane, 1, (a0 << 16) | (a1 >>> 16));
      put(lane, 2, (a1 << 16) | (a2 >>> 16));
      put(lane, 3, (a2 << 16) | (a3 >>> 16));
      put(lane, 4, (a3 << 16) | (b0 >>> 16));
      put(lane, 5, (b0 << 16) | (b1 >>> 16));
      put(lane, 6, (b1 << 16) | (b2 >>> 16));
      put(lane, 7, (b2 << 16) | (b3 >>> 16));
      put(lane, 8, (b3 << 16) | protoPad);
      if (withPorts) {
        put(lane, 9, ports);
        pad(lane, 40);
      } else {
        pad(lane, 36);
      }
    }
    count++;
    store<u32>(codes + ri, count);
    store<u32>(LANE_CODE + (lane << 2), count);
    if (++lane == LANES) {
      hash4();
      emit(<i32>LANES, digests, text);
      lane = 0;
    }
  }
  if (lane > 0) {
    // the unused lanes hash whatever their blocks hold; their results are not written
    hash4();
    emit(<i32>lane, digests, text);
  }
  return <i32>count;
}
