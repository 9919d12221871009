// flowlens line scanner (AssemblyScript, compiled to WebAssembly by `npm run build:wasm`).
//
// The hot loop of the text decoder: record lines in linear memory become rows of typed
// columns. Numbers are parsed from the bytes, strings are interned per column in a hash table
// of byte ranges, so a repeated value costs one hash and one compare. Any line that is not a
// plain record (a possible header, a malformed line, an overlong line or value) stops the scan
// and is handed back to the JavaScript decoder, which reports it exactly as before.
//
// Memory is laid out by the JavaScript side (src/decode/wasm-scanner.ts); this module owns no
// allocations. The offsets below are shared with it.

// The configuration block: u32 words, set by the caller before each scan.
const C_NFIELDS: u32 = 0;
const C_HEADERS: u32 = 4;
const C_MAXLINE: u32 = 8;
const C_POS: u32 = 12;
const C_STARTS: u32 = 16;
const C_ENDS: u32 = 20;
const C_DELTA: u32 = 24;
const C_NEWLIST: u32 = 28;
const C_NEWCOUNT: u32 = 32;
const C_OUT_P: u32 = 36;
const C_OUT_ROW: u32 = 40;
const C_OUT_TABLE: u32 = 44;
const C_TEXT_END: u32 = 48;
const C_LINENO: u32 = 56; // f64
const C_FIELDS: u32 = 64; // per field 16 bytes: kind, column, table, domain

// A string column's table header: u32 words.
const T_SLOTS: u32 = 0;
const T_MASK: u32 = 4;
const T_ENTS: u32 = 8;
const T_MAXENT: u32 = 12;
const T_COUNT: u32 = 16;
const T_ARENA: u32 = 20;
const T_ARENACAP: u32 = 24;
const T_ARENAPOS: u32 = 28;
const T_EPOCH: u32 = 32;
const T_DICTLEN: u32 = 36;
const T_ID: u32 = 40;

// An entry: hash, arena offset, length, code in the current batch, batch epoch.
const E_STRIDE: u32 = 20;

// Field kinds: 0 a number, 1 a string, 2 a time.
const KIND_STR: u32 = 1;
const KIND_TIME: u32 = 2;

// Field domains (src/fields/catalog.ts): a number field's fourth word is its upper bound (0:
// MAX_COUNT); a string field's is 1 when its new values go to `acceptValue`.
const MAX_COUNT: f64 = 9007199254740991;
/** A time from here on is in milliseconds (MILLISECONDS_FROM), up to the end of year 9999. */
const MILLISECONDS_FROM: f64 = 1e11;
const MAX_TIME_MILLISECONDS: f64 = 253402300799999;

/** The JavaScript side's check of a value new to a checked column's table (text decoder's domain check). */
@external("env", "acceptValue")
declare function acceptValue(table: u32, s: usize, len: u32): bool;

const DONE: i32 = 0;
const FULL: i32 = 1;
const SLOW: i32 = 2;
const TABLE_FULL: i32 = 3;

/** Longest string value interned here; longer ones go to the JavaScript decoder. */
const MAX_VALUE: u32 = 1024;

/** Where the token starting at p ends: the first byte <= 0x20 (blank, control or newline). */
@inline function tokenEnd(p: usize): usize {
  const limit = i8x16.splat(32);
  while (true) {
    const m = i8x16.bitmask(i8x16.le_u(v128.load(p), limit));
    if (m != 0) return p + <usize>ctz<i32>(m);
    p += 16;
  }
}

@inline function tailMask(n: u32): u64 {
  return n >= 8 ? <u64>-1 : ((<u64>1 << (<u64>n << 3)) - 1);
}

@inline function hashBytes(s: usize, len: u32): u32 {
  let h: u64 = <u64>len * 0x9e3779b97f4a7c15;
  let i: u32 = 0;
  while (i + 8 <= len) {
    h = (h ^ load<u64>(s + i)) * 0xff51afd7ed558ccd;
    h ^= h >> 29;
    i += 8;
  }
  if (i < len) h = (h ^ (load<u64>(s + i) & tailMask(len - i))) * 0xff51afd7ed558ccd;
  // final mix, so that every input byte reaches the low bits the table uses
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53;
  h ^= h >> 33;
  return <u32>h;
}

@inline function bytesEqual(a: usize, b: usize, len: u32): bool {
  let i: u32 = 0;
  while (i + 8 <= len) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
    i += 8;
  }
  if (i < len) {
    const m = tailMask(len - i);
    return (load<u64>(a + i) & m) == (load<u64>(b + i) & m);
  }
  return true;
}

@inline function newCode(cfg: usize, tab: usize, entry: u32): u32 {
  const code = load<u32>(tab, T_DICTLEN);
  store<u32>(tab, code + 1, T_DICTLEN);
  const n = load<u32>(cfg, C_NEWCOUNT);
  const at = load<u32>(cfg, C_NEWLIST) + (n << 3);
  store<u32>(at, load<u32>(tab, T_ID));
  store<u32>(at, entry, 4);
  store<u32>(cfg, n + 1, C_NEWCOUNT);
  return code;
}

/**
 * The batch code of bytes [s, s + len) in this column, -1 when its table is full, or -2 when
 * the value is new and `checked` and outside the field's domain.
 */
function intern(cfg: usize, tab: usize, s: usize, len: u32, checked: bool): i32 {
  const h = hashBytes(s, len);
  const slots = <usize>load<u32>(tab, T_SLOTS);
  const mask = load<u32>(tab, T_MASK);
  const ents = <usize>load<u32>(tab, T_ENTS);
  const arena = <usize>load<u32>(tab, T_ARENA);
  let slot = h & mask;
  while (true) {
    const e = load<u32>(slots + (<usize>slot << 2));
    if (e == 0) break;
    const ep = ents + <usize>(e - 1) * E_STRIDE;
    if (load<u32>(ep) == h && load<u32>(ep, 8) == len && bytesEqual(arena + load<u32>(ep, 4), s, len)) {
      const epoch = load<u32>(tab, T_EPOCH);
      if (load<u32>(ep, 16) == epoch) return load<u32>(ep, 12);
      store<u32>(ep, epoch, 16);
      const code = newCode(cfg, tab, e - 1);
      store<u32>(ep, code, 12);
      return code;
    }
    slot = (slot + 1) & mask;
  }
  const count = load<u32>(tab, T_COUNT);
  const apos = load<u32>(tab, T_ARENAPOS);
  if (count >= load<u32>(tab, T_MAXENT) || apos + len > load<u32>(tab, T_ARENACAP)) return -1;
  if (checked && !acceptValue(load<u32>(tab, T_ID), s, len)) return -2;
  memory.copy(arena + apos, s, len);
  store<u32>(tab, apos + len, T_ARENAPOS);
  store<u32>(tab, count + 1, T_COUNT);
  store<u32>(slots + (<usize>slot << 2), count + 1);
  const ep = ents + <usize>count * E_STRIDE;
  store<u32>(ep, h);
  store<u32>(ep, apos, 4);
  store<u32>(ep, len, 8);
  store<u32>(ep, load<u32>(tab, T_EPOCH), 16);
  const code = newCode(cfg, tab, count);
  store<u32>(ep, code, 12);
  return code;
}

/** True when the line's first token may be a header's field name: no digit and no dot. */
@inline function mayBeHeader(p: usize): bool {
  let c = <u32>load<u8>(p);
  while (c > 32) {
    if ((c >= 48 && c <= 57) || c == 46) return false;
    c = load<u8>(++p);
  }
  return true;
}

/**
 * Decodes lines from p up to end (end - 1 is a newline; 16 readable bytes follow end) into
 * rows `row` onwards, stopping at `rowLimit`. Returns DONE, FULL, SLOW (the line at the
 * returned position needs the JavaScript decoder) or TABLE_FULL (a column's table, named in
 * the configuration block, must be cleared before the line at that position).
 */
export function scan(cfg: usize, p: usize, end: usize, row: u32, rowLimit: u32): i32 {
  const nFields = load<u32>(cfg, C_NFIELDS);
  const headers = load<u32>(cfg, C_HEADERS) != 0;
  const maxLine = <usize>load<u32>(cfg, C_MAXLINE);
  const posCol = <usize>load<u32>(cfg, C_POS);
  const startsCol = <usize>load<u32>(cfg, C_STARTS);
  const endsCol = <usize>load<u32>(cfg, C_ENDS);
  const delta = load<i32>(cfg, C_DELTA);
  let lineNo = load<f64>(cfg, C_LINENO);
  let textEnd = <usize>load<u32>(cfg, C_TEXT_END);
  let status = DONE;
  while (p < end) {
    if (row >= rowLimit) {
      status = FULL;
      break;
    }
    const ls = p;
    let c = <u32>load<u8>(p);
    while (c == 32 || c == 9 || c == 13) c = load<u8>(++p);
    if (c == 10) {
      p++;
      lineNo += 1; // a blank line
      continue;
    }
    if (headers && c >= 97 && c <= 122 && mayBeHeader(p)) {
      p = ls;
      status = SLOW;
      break;
    }
    const rs = p;
    let te = p;
    let ok = true;
    for (let f: u32 = 0; f < nFields; f++) {
      const fd = cfg + C_FIELDS + (<usize>f << 4);
      const col = <usize>load<u32>(fd, 4);
      if (c == 10) {
        ok = false; // too few fields
        break;
      }
      const ts = p;
      const kind = load<u32>(fd);
      if (kind != KIND_STR) {
        let v: f64 = 0;
        let bad = false;
        while (c > 32) {
          const d = c - 48;
          if (d > 9) bad = true;
          v = v * 10 + <f64>d;
          c = load<u8>(++p);
        }
        if (bad) {
          if (p - ts == 1 && load<u8>(ts) == 45) v = NaN;
          else {
            ok = false;
            break;
          }
        }
        // the field's domain (NaN, a `-`, passes): a bound, or a time in seconds or milliseconds
        if (kind == KIND_TIME) {
          if (v >= MILLISECONDS_FROM) {
            if (v > MAX_TIME_MILLISECONDS) {
              ok = false;
              break;
            }
            v = Math.floor(v / 1000);
          }
        } else {
          const max = load<u32>(fd, 12);
          if (v > (max == 0 ? MAX_COUNT : <f64>max)) {
            ok = false;
            break;
          }
        }
        store<f64>(col + (<usize>row << 3), v);
      } else {
        p = tokenEnd(p);
        c = load<u8>(p);
        const len = <u32>(p - ts);
        let code: i32 = 0;
        if (len != 1 || load<u8>(ts) != 45) {
          if (len > MAX_VALUE) {
            ok = false;
            break;
          }
          const tab = <usize>load<u32>(fd, 8);
          code = intern(cfg, tab, ts, len, load<u32>(fd, 12) != 0);
          if (code == -2) {
            ok = false; // outside the domain: the JavaScript decoder reports it
            break;
          }
          if (code < 0) {
            store<u32>(cfg, load<u32>(tab, T_ID), C_OUT_TABLE);
            status = TABLE_FULL;
            break;
          }
        }
        store<u32>(col + (<usize>row << 2), <u32>code);
      }
      te = p;
      // separator: spaces or tabs; a carriage return only before the newline
      while (c == 32 || c == 9) c = load<u8>(++p);
      if (c == 13) {
        while (c == 13 || c == 32 || c == 9) c = load<u8>(++p);
        if (c != 10) {
          ok = false;
          break;
        }
      } else if (c < 32 && c != 10) {
        ok = false;
        break;
      }
    }
    if (status == TABLE_FULL) {
      p = ls;
      break;
    }
    if (!ok || c != 10 || p - ls > maxLine) {
      p = ls;
      status = SLOW;
      break;
    }
    lineNo += 1;
    store<f64>(posCol + (<usize>row << 3), lineNo);
    store<u32>(startsCol + (<usize>row << 2), <u32>(<i32>rs + delta));
    store<u32>(endsCol + (<usize>row << 2), <u32>(<i32>te + delta));
    textEnd = te;
    row++;
    p++;
  }
  store<u32>(cfg, <u32>p, C_OUT_P);
  store<u32>(cfg, row, C_OUT_ROW);
  store<f64>(cfg, lineNo, C_LINENO);
  store<u32>(cfg, <u32>textEnd, C_TEXT_END);
  return status;
}
