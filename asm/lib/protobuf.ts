// Protobuf pieces the OTLP WebAssembly modules share (otlp-lines): the field
// tags they write (spec sheet F.4; src/sinks/otlp/proto-tags.ts is the JavaScript side) and
// varints. Not a module of its own: build-wasm compiles only the files directly in asm/.

export const T_SL_RECORD: u8 = 0x12; // ScopeLogs.log_records (2, length-delimited)
export const T_LR_TIME: u8 = 0x09; // LogRecord.time_unix_nano (1, fixed64)
export const T_LR_OBSERVED: u8 = 0x59; // LogRecord.observed_time_unix_nano (11, fixed64)
export const T_LR_BODY: u8 = 0x2a; // LogRecord.body (5)
export const T_LR_ATTR: u8 = 0x32; // LogRecord.attributes (6)
export const T_KV_VALUE: u8 = 0x12; // KeyValue.value (2)
export const T_AV_STRING: u8 = 0x0a; // AnyValue.string_value (1)
export const T_AV_INT: u8 = 0x18; // AnyValue.int_value (3, varint)

/** Writes v as a varint at p; returns the end. */
@inline export function putVarint(p: usize, v: u64): usize {
  while (v > 0x7f) {
    store<u8>(p++, <u8>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  store<u8>(p++, <u8>v);
  return p;
}

/** Bytes of v as a varint. */
@inline export function varintSize(v: u64): usize {
  // branches: record values are mostly small, and each field's size repeats record to record
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return <usize>((70 - clz<u64>(v)) / 7);
}

/** Record times cached: the fixed64 nanoseconds of a second, per second modulo this. */
export const TIME_SLOTS: u32 = 4096;

/**
 * LogRecord.time_unix_nano of a whole second t at p, its 8 bytes cached in timeWords (keyed by
 * t in timeKeys, NaN when empty): records of a batch share a few hundred seconds.
 */
@inline export function putTime(p: usize, t: f64, timeKeys: usize, timeWords: usize): usize {
  const slot = <usize>(<u64>t & (TIME_SLOTS - 1));
  if (load<f64>(timeKeys + (slot << 3)) != t) {
    store<f64>(timeKeys + (slot << 3), t);
    store<u64>(timeWords + (slot << 3), <u64>t * 1000000000);
  }
  store<u8>(p, T_LR_TIME);
  store<u64>(p + 1, load<u64>(timeWords + (slot << 3)));
  return p + 9;
}

/** LogRecord.observed_time_unix_nano at p. */
@inline export function putObserved(p: usize, observed: u64): usize {
  store<u8>(p, T_LR_OBSERVED);
  store<u64>(p + 1, observed);
  return p + 9;
}

/**
 * Copies n bytes from src to p 16 at a time (a memory.copy call costs as much as a ~100-byte
 * line): may write up to 15 bytes past p + n and read 15 past src + n. Returns p + n.
 */
@inline export function copyBlocks(p: usize, src: usize, n: usize): usize {
  const end = p + n;
  while (p < end) {
    v128.store(p, v128.load(src));
    p += 16;
    src += 16;
  }
  return end;
}

/** LogRecord.body, a string of the n bytes at src (copied as copyBlocks copies). */
@inline export function putBody(p: usize, src: usize, n: usize): usize {
  store<u8>(p++, T_LR_BODY);
  p = putVarint(p, 1 + <u64>varintSize(<u64>n) + <u64>n);
  store<u8>(p++, T_AV_STRING);
  p = putVarint(p, <u64>n);
  return copyBlocks(p, src, n);
}

/** A record of len bytes, 128 ≤ len < 16384, started at start - 3: its two length bytes. */
@inline export function endRecord(start: usize, len: usize): void {
  store<u8>(start - 2, <u8>((len & 0x7f) | 0x80));
  store<u8>(start - 1, <u8>(len >> 7));
}
