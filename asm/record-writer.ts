// flowlens OTLP record writer (AssemblyScript, compiled to WebAssembly by `npm run build:wasm`).
//
// Writes protobuf LogRecords row after row from a batch program that the JavaScript side
// (src/sinks/otlp/wasm-records.ts) lays out in linear memory: the batch's columns, and every
// piece encoded once per batch (a KeyValue per dictionary code, severity per action code,
// the constant part of each integer attribute) in one arena. Its output is byte for byte what
// the JavaScript direct writer (src/sinks/otlp/proto-direct.ts) produces; a record with a value
// outside the common cases (a negative or fractional number, a time with a fraction, a record
// shorter than 128 or longer than 16383 bytes) is left to that writer.

import { endRecord, putBody, putObserved, putTime, putVarint, T_SL_RECORD, varintSize } from './lib/protobuf';

// Configuration block: u32 words.
const C_ROWS: u32 = 0;
const C_OUT_END: u32 = 4;
const C_RECORD_MAX: u32 = 8;
const C_NTIME: u32 = 12;
const C_TIME: u32 = 16; // up to 4 column pointers
const C_TIME_KEYS: u32 = 32;
const C_TIME_WORDS: u32 = 36;
const C_SEV_CODES: u32 = 40;
const C_SEV_AT: u32 = 44;
const C_LINES: u32 = 48;
const C_STARTS: u32 = 52;
const C_ENDS: u32 = 56;
const C_ARENA: u32 = 60;
const C_NOPS: u32 = 64;
const C_OPS: u32 = 68;
const C_OUT_POS: u32 = 72;
const C_OUT_ROW: u32 = 76;
const C_OBSERVED: u32 = 80; // 8 bytes

// An op: 32 bytes, u32 words.
const O_KIND: u32 = 0;
const O_A: u32 = 4; // STR: codes; FIRST/PICK: sources; INT/DBL/NUM_TEXT: values
const O_B: u32 = 8; // STR: at; FIRST/PICK: count; INT/DBL: template offset; NUM_TEXT: override codes
const O_C: u32 = 12; // INT/DBL: template length; NUM_TEXT: override at; PICK: choices
const O_D: u32 = 16; // INT: key field length; NUM_TEXT: small-value at

const K_STR: u32 = 0;
const K_FIRST: u32 = 1;
const K_INT: u32 = 2;
const K_DBL: u32 = 3;
const K_NUM_TEXT: u32 = 4;
const K_PICK: u32 = 5;


const MAX_SAFE: f64 = 9007199254740991;

const DONE: i32 = 0;
const SLOW: i32 = 1;
const OUT_FULL: i32 = 2;

/**
 * Copies n bytes from src to p 8 bytes at a time (a call to memory.copy costs more than a
 * KeyValue of 20–40 bytes): may write up to 7 bytes past p + n, which the output's slack
 * covers and the next piece overwrites; src must have 7 readable bytes past its end (arena
 * pieces are padded to 8 bytes, the lines copy has 16 more). Returns p + n.
 */
@inline function copyWords(p: usize, src: usize, n: usize): usize {
  const end = p + n;
  while (p < end) {
    store<u64>(p, load<u64>(src));
    p += 8;
    src += 8;
  }
  return end;
}

/** Copies the arena piece (offset, length) at `at` (two i32 words) to p; returns the end. */
@inline function copyPiece(p: usize, arena: usize, at: usize): usize {
  return copyWords(p, arena + load<u32>(at), load<u32>(at, 4));
}

/**
 * Writes records for rows[from…to) from `out`, stopping after the record that reaches `limit`
 * bytes of output (every call writes at least one record unless the first needs the JavaScript
 * writer). Returns DONE (to reached or limit reached), SLOW (row `C_OUT_ROW` needs the
 * JavaScript writer) or OUT_FULL (no room for another record); C_OUT_POS and C_OUT_ROW say where
 * it stopped.
 */
export function writeRows(cfg: usize, from: u32, to: u32, out: usize, limit: usize): i32 {
  const rows = <usize>load<u32>(cfg, C_ROWS);
  const outEnd = <usize>load<u32>(cfg, C_OUT_END);
  const recordMax = <usize>load<u32>(cfg, C_RECORD_MAX);
  const nTime = load<u32>(cfg, C_NTIME);
  const timeKeys = <usize>load<u32>(cfg, C_TIME_KEYS);
  const timeWords = <usize>load<u32>(cfg, C_TIME_WORDS);
  const sevCodes = <usize>load<u32>(cfg, C_SEV_CODES);
  const sevAt = <usize>load<u32>(cfg, C_SEV_AT);
  const lines = <usize>load<u32>(cfg, C_LINES);
  const starts = <usize>load<u32>(cfg, C_STARTS);
  const ends = <usize>load<u32>(cfg, C_ENDS);
  const arena = <usize>load<u32>(cfg, C_ARENA);
  const nOps = load<u32>(cfg, C_NOPS);
  const ops = <usize>load<u32>(cfg, C_OPS);
  const observed = load<u64>(cfg, C_OBSERVED);
  let pos = out;
  let r = from;
  let status = DONE;
  while (r < to) {
    const i = <usize>load<u32>(rows + (<usize>r << 2));
    const bodyLen: usize = lines != 0 ? <usize>(load<u32>(ends + (i << 2)) - load<u32>(starts + (i << 2))) : 0;
    if (pos + recordMax + bodyLen > outEnd) {
      status = OUT_FULL;
      break;
    }
    const rec = pos;
    store<u8>(pos, T_SL_RECORD);
    const start = pos + 3;
    pos = start;
    // timeUnixNano: the first time column that is not null, cached by the second
    let t: f64 = NaN;
    for (let j: u32 = 0; j < nTime; j++) {
      t = load<f64>(<usize>load<u32>(cfg + C_TIME + (j << 2)) + (i << 3));
      if (t == t) break;
    }
    if (t > 0) {
      if (t != Math.floor(t) || t > 9.2e9) {
        status = SLOW;
        pos = rec;
        break;
      }
      pos = putTime(pos, t, timeKeys, timeWords);
    }
    pos = putObserved(pos, observed);
    const sc: usize = sevCodes != 0 ? <usize>load<u32>(sevCodes + (i << 2)) : 0;
    pos = copyPiece(pos, arena, sevAt + (sc << 3));
    if (lines != 0) pos = putBody(pos, lines + <usize>load<u32>(starts + (i << 2)), bodyLen);
    let slow = false;
    for (let o: u32 = 0; o < nOps; o++) {
      const op = ops + (<usize>o << 5);
      const kind = load<u32>(op, O_KIND);
      if (kind == K_STR) {
        const code = <usize>load<u32>(<usize>load<u32>(op, O_A) + (i << 2));
        if (code != 0) pos = copyPiece(pos, arena, <usize>load<u32>(op, O_B) + (code << 3));
      } else if (kind == K_INT) {
        const v = load<f64>(<usize>load<u32>(op, O_A) + (i << 3));
        if (v != v) continue;
        if (v < 0 || v > MAX_SAFE || v != Math.floor(v)) {
          slow = true;
          break;
        }
        const u = <u64>v;
        const vs = varintSize(u);
        const p = pos;
        const tplLen = <usize>load<u32>(op, O_C);
        pos = copyWords(pos, arena + <usize>load<u32>(op, O_B), tplLen);
        store<u8>(p + 1, <u8>(load<u32>(op, O_D) + 3 + <u32>vs));
        store<u8>(pos - 2, <u8>(1 + vs));
        pos = putVarint(pos, u);
      } else if (kind == K_DBL) {
        const v = load<f64>(<usize>load<u32>(op, O_A) + (i << 3));
        if (v != v) continue;
        const tplLen = <usize>load<u32>(op, O_C);
        pos = copyWords(pos, arena + <usize>load<u32>(op, O_B), tplLen);
        store<f64>(pos, v);
        pos += 8;
      } else if (kind == K_NUM_TEXT) {
        const v = load<f64>(<usize>load<u32>(op, O_A) + (i << 3));
        if (v != v) continue;
        const over = <usize>load<u32>(op, O_B);
        const code: usize = over != 0 ? <usize>load<u32>(over + (i << 2)) : 0;
        if (code != 0) {
          pos = copyPiece(pos, arena, <usize>load<u32>(op, O_C) + (code << 3));
        } else if (v >= 0 && v < 256 && v == Math.floor(v)) {
          pos = copyPiece(pos, arena, <usize>load<u32>(op, O_D) + (<usize>v << 3));
        } else {
          slow = true;
          break;
        }
      } else {
        // K_FIRST: the first source with a value; K_PICK: the source the row's choice names
        const sources = <usize>load<u32>(op, O_A);
        let src: usize = 0;
        let code: usize = 0;
        if (kind == K_FIRST) {
          const count = load<u32>(op, O_B);
          for (let k: u32 = 0; k < count; k++) {
            const s = sources + (<usize>k << 3);
            code = <usize>load<u32>(<usize>load<u32>(s) + (i << 2));
            if (code != 0) {
              src = s;
              break;
            }
          }
        } else {
          const c = load<i32>(<usize>load<u32>(op, O_C) + (i << 2));
          if (c < 0) continue;
          src = sources + (<usize>c << 3);
          code = <usize>load<u32>(<usize>load<u32>(src) + (i << 2));
        }
        if (code != 0) pos = copyPiece(pos, arena, <usize>load<u32>(src, 4) + (code << 3));
      }
    }
    const len = pos - start;
    if (slow || len < 128 || len >= 16384) {
      status = SLOW;
      pos = rec;
      break;
    }
    endRecord(start, len);
    r++;
    if (pos - out >= limit) break;
  }
  store<u32>(cfg, <u32>pos, C_OUT_POS);
  store<u32>(cfg, r, C_OUT_ROW);
  return status;
}
