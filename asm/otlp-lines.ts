// flowlens OTLP line transcoder (AssemblyScript, compiled to WebAssembly by `npm run build:wasm`).
//
// Turns plain record lines straight into protobuf LogRecords of the OTel mapping, without the
// columns, dictionaries and per-code pieces of the decoder and the record writer: each token is
// found once and copied once. Its output is byte for byte what the record writer produces for
// the same lines (src/sinks/otlp/line-transcoder.ts lays out the program; the tests compare).
//
// It accepts a strict subset of what the line scanner accepts: tokens of printable ASCII
// separated by single spaces, numbers of at most 15 digits or `-`, the newline right after the
// last token. Any other line stops it (SLOW) and goes through the decoder as before, so a line's
// fate (record, malformed, header) never depends on which of the two read it.

import {
  copyBlocks,
  endRecord,
  putBody,
  putObserved,
  putTime,
  putVarint,
  T_AV_INT,
  T_AV_STRING,
  T_KV_VALUE,
  T_LR_ATTR,
  T_SL_RECORD,
  varintSize,
} from './lib/protobuf';

import {
  C_NFIELDS,
  C_HEADERS,
  C_RUN_LIMIT,
  C_RUN_BYTES,
  C_POS_STRIDE,
  C_MAX_RECORDS,
  C_RECORDS,
  C_STOP,
  C_NGROUPS,
  C_MAX_GROUPS,
  C_GROUPS,
  C_LAST_GROUP,
  C_AREAS,
  C_POSITIONS,
  C_F_ACCOUNT,
  C_F_REGION,
  C_F_ACTION,
  C_F_STATUS,
  C_F_PROTO,
  C_F_SRC,
  C_F_DST,
  C_F_TIME0,
  C_F_TIME1,
  C_LINENO,
  C_OBSERVED,
  C_BODY,
  C_SEV_INFO,
  C_SEV_WARN,
  C_PROTO_NAMES,
  C_PROTO_TRANSPORTS,
  C_FAMILY4,
  C_FAMILY6,
  C_SRC_KEY,
  C_DST_KEY,
  C_NOPS,
  C_OPS,
  C_RECORD_FIXED,
  C_TIME_KEYS,
  C_TIME_WORDS,
  C_GROUP_KEYS,
  C_TOKENS,
  C_KINDS,
  C_NCHECKS,
  C_CHECKS,
  CK_BYTES,
  CK_WORDS,
  CK_NUMBER,
  CK_TIME,
  CK_ADDRESS,
  CK_WORD,
  G_BYTES,
  G_ACCOUNT,
  G_REGION,
  G_POS,
  G_RECORDS,
  G_NODATA,
  G_SKIPDATA,
  G_END,
  GROUP_KEY_BYTES,
  GROUP_KEY_MAX,
  OP_STR,
  OP_INT,
} from './lib/otlp-lines-layout';

/** A time from here on is in milliseconds: the decoder reads it as seconds. */
const MILLISECONDS_FROM: u64 = 100000000000;



const DONE: i32 = 0;
const FULL: i32 = 1;
const SLOW: i32 = 2;
const GROUPS_FULL: i32 = 3;

/** A number field's `-`. */
const NONE: u64 = <u64>-1;
/** Longest number read here: 15 digits are exact in an f64, as the decoder reads them. */
const MAX_DIGITS: u32 = 15;
/** Longest line read here: its record (the line twice, and keys) stays under 16 KiB. */
const MAX_LINE: usize = 7000;

/**
 * The number the 1–8 ASCII digits at s spell (8 bytes are readable there), or a value above
 * 99999999 when one of them is not a digit. Eight at a time: digits shifted to the top of a
 * word (missing leading ones become zeros), checked, then combined in three multiplications.
 */
@inline function digits8(s: usize, len: usize): u64 {
  const shift = <u64>(8 - len) << 3;
  const x = load<u64>(s) << shift;
  const tokenBytes = <u64>-1 << shift;
  const threes = 0x3030303030303030 & tokenBytes;
  if ((x & 0xf0f0f0f0f0f0f0f0) != threes || ((x + 0x0606060606060606) & 0xf0f0f0f0f0f0f0f0) != threes)
    return <u64>-1;
  let v = ((x & 0x0f0f0f0f0f0f0f0f) * 2561) >> 8;
  v = ((v & 0x00ff00ff00ff00ff) * 6553601) >> 16;
  return ((v & 0x0000ffff0000ffff) * 42949672960001) >> 32;
}

/**
 * Bits of the 64 bytes at s (readable: the input has 64 bytes of padding) that are outside
 * 0x21–0x7e: spaces, newlines, and any byte that keeps a line from the transcoder.
 */
@inline function separators(s: usize): u64 {
  const low = i8x16.splat(0x20);
  const high = i8x16.splat(0x7e);
  let m: u64 = 0;
  for (let i: usize = 0; i < 64; i += 16) {
    const b = v128.load(s + i);
    m |= <u64>(<u32>i8x16.bitmask(v128.or(i8x16.le_u(b, low), i8x16.gt_u(b, high)))) << (<u64>i);
  }
  return m;
}

/** True when the n bytes at s hold a colon (an IPv6 address); 16 readable bytes follow them. */
@inline function hasColon(s: usize, n: usize): bool {
  const colon = i8x16.splat(58);
  for (let i: usize = 0; i < n; i += 16) {
    let m = i8x16.bitmask(i8x16.eq(v128.load(s + i), colon));
    if (n - i < 16) m &= (1 << <i32>(n - i)) - 1;
    if (m != 0) return true;
  }
  return false;
}

/** True when the len bytes at a and b are equal; 16 readable bytes follow both (read in blocks). */
@inline function bytesEqual(a: usize, b: usize, len: usize): bool {
  for (let i: usize = 0; i < len; i += 16) {
    const need = len - i >= 16 ? 0xffff : (1 << <i32>(len - i)) - 1;
    if ((i8x16.bitmask(i8x16.eq(v128.load(a + i), v128.load(b + i))) & need) != need) return false;
  }
  return true;
}

/** True when the token [s, s + len) equals the ASCII word `w` given as a u64 (at most 8 bytes). */
@inline function isWord(s: usize, len: usize, w: u64, wlen: usize): bool {
  if (len != wlen) return false;
  // 8 bytes are readable at s (the line, then the input's padding)
  const mask: u64 = len >= 8 ? <u64>-1 : (<u64>1 << (<u64>len << 3)) - 1;
  return (load<u64>(s) & mask) == w;
}

// "REJECT", "NODATA", "SKIPDATA" as little-endian words
const W_REJECT: u64 = 0x5443454a4552;
const W_NODATA: u64 = 0x415441444f4e;
const W_SKIPDATA: u64 = 0x4154414450494b53;

/** True when the n bytes at s are a dotted-quad IPv4 address (no leading zeros), as Node's isIPv4 says. */
function isIPv4(s: usize, n: usize): bool {
  if (n < 7 || n > 15) return false;
  let parts = 0;
  let i: usize = 0;
  while (true) {
    const first = <u32>load<u8>(s + i);
    let v: u32 = 0;
    let digits = 0;
    while (i < n) {
      const c = <u32>load<u8>(s + i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      digits++;
      i++;
    }
    if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && first == 48)) return false;
    parts++;
    if (i == n) return parts == 4;
    if (load<u8>(s + i) != 46 || parts == 4) return false;
    i++;
  }
  return false;
}

@inline function isHex(c: u32): bool {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);
}

/**
 * True when the n bytes at s are an IPv6 address of hex groups with at most one `::`. Other
 * forms (an embedded IPv4 address, a zone) get false here and go to the decoder, which decides.
 */
function isIPv6(s: usize, n: usize): bool {
  if (n < 2 || n > 39) return false;
  let groups = 0;
  let gap = false;
  let i: usize = 0;
  if (load<u8>(s) == 58) {
    if (load<u8>(s + 1) != 58) return false;
    gap = true;
    i = 2;
    if (i == n) return true;
  }
  while (true) {
    let digits = 0;
    while (i < n && isHex(<u32>load<u8>(s + i))) {
      digits++;
      i++;
    }
    if (digits == 0 || digits > 4) return false;
    groups++;
    if (i == n) break;
    if (load<u8>(s + i) != 58) return false;
    i++;
    if (i == n) return false;
    if (load<u8>(s + i) == 58) {
      if (gap) return false;
      gap = true;
      i++;
      if (i == n) break;
    }
  }
  return gap ? groups <= 7 : groups == 8;
}

/**
 * True when every checked token is in its field's domain; a `-` always is. A time in
 * milliseconds, an address of a form not read here, or any value outside is the decoder's.
 */
function inDomains(cfg: usize, tokens: usize): bool {
  const n = <usize>load<u32>(cfg, C_NCHECKS);
  const checks = <usize>load<u32>(cfg, C_CHECKS);
  for (let k: usize = 0; k < n; k++) {
    const ck = checks + k * CK_BYTES;
    const kind = load<u32>(ck);
    const t = tokens + (<usize>load<u32>(ck, 4) << 4);
    if (kind == CK_NUMBER) {
      const v = load<u64>(t, 8);
      if (v != NONE && v > load<u64>(ck, 8)) return false;
      continue;
    }
    if (kind == CK_TIME) {
      const v = load<u64>(t, 8);
      if (v != NONE && v >= MILLISECONDS_FROM) return false;
      continue;
    }
    const s = <usize>load<u32>(t);
    const len = <usize>load<u32>(t, 4);
    if (len == 1 && load<u8>(s) == 45) continue;
    if (kind == CK_ADDRESS) {
      if (!isIPv4(s, len) && !isIPv6(s, len)) return false;
      continue;
    }
    let found = false;
    const words = load<u32>(ck, 16);
    for (let w: u32 = 0; w < words; w++) {
      const we = ck + CK_WORDS + (<usize>w << 4);
      if (isWord(s, len, load<u64>(we), <usize>load<u32>(we, 8))) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

/** A string KeyValue: key field at `key` (kl bytes), value [s, s + n). */
@inline function putStr(p: usize, key: usize, kl: usize, s: usize, n: usize): usize {
  if (kl + n + 4 < 128) {
    // every length fits one byte: ids, addresses, actions
    store<u8>(p, T_LR_ATTR);
    store<u8>(p, <u8>(kl + n + 4), 1);
    p = copyBlocks(p + 2, key, kl);
    store<u8>(p, T_KV_VALUE);
    store<u8>(p, <u8>(n + 2), 1);
    store<u8>(p, T_AV_STRING, 2);
    store<u8>(p, <u8>n, 3);
    return copyBlocks(p + 4, s, n);
  }
  const av: usize = 1 + varintSize(<u64>n) + n;
  store<u8>(p++, T_LR_ATTR);
  p = putVarint(p, <u64>(kl + 1 + varintSize(<u64>av) + av));
  p = copyBlocks(p, key, kl);
  store<u8>(p++, T_KV_VALUE);
  p = putVarint(p, <u64>av);
  store<u8>(p++, T_AV_STRING);
  p = putVarint(p, <u64>n);
  return copyBlocks(p, s, n);
}

/** An integer KeyValue: key field at `key` (kl bytes), value v. */
@inline function putInt(p: usize, key: usize, kl: usize, v: u64): usize {
  const vs = varintSize(v);
  store<u8>(p++, T_LR_ATTR);
  p = putVarint(p, <u64>(kl + 3 + vs));
  p = copyBlocks(p, key, kl);
  store<u8>(p++, T_KV_VALUE);
  store<u8>(p++, <u8>(1 + vs));
  store<u8>(p++, T_AV_INT);
  return putVarint(p, v);
}

@inline function copyPiece(p: usize, at: usize): usize {
  return copyBlocks(p, <usize>load<u32>(at), <usize>load<u32>(at, 4));
}

/** The group of records with this account and region, made when new; -1 when the run has no room for one. */
function groupOf(cfg: usize, aS: usize, aL: usize, rS: usize, rL: usize): i32 {
  const table = <usize>load<u32>(cfg, C_GROUPS);
  const keys = <usize>load<u32>(cfg, C_GROUP_KEYS);
  const n = load<u32>(cfg, C_NGROUPS);
  // neighbouring records mostly share their account: the last group first
  const last = load<u32>(cfg, C_LAST_GROUP);
  for (let k: u32 = 0; k <= n; k++) {
    const g = k == 0 ? last : k - 1;
    if (g >= n || (k > 0 && g == last)) continue;
    const e = table + <usize>g * G_BYTES;
    if (
      aL == <usize>load<u32>(e, G_ACCOUNT + 4) &&
      rL == <usize>load<u32>(e, G_REGION + 4) &&
      bytesEqual(aS, <usize>load<u32>(e, G_ACCOUNT), aL) &&
      bytesEqual(rS, <usize>load<u32>(e, G_REGION), rL)
    ) {
      store<u32>(cfg, g, C_LAST_GROUP);
      return <i32>g;
    }
  }
  if (n >= load<u32>(cfg, C_MAX_GROUPS)) return -1;
  const e = table + <usize>n * G_BYTES;
  const key = keys + <usize>n * GROUP_KEY_BYTES;
  memory.copy(key, aS, aL);
  memory.copy(key + GROUP_KEY_BYTES / 2, rS, rL);
  store<u32>(e, <u32>key, G_ACCOUNT);
  store<u32>(e, <u32>aL, G_ACCOUNT + 4);
  store<u32>(e, <u32>(key + GROUP_KEY_BYTES / 2), G_REGION);
  store<u32>(e, <u32>rL, G_REGION + 4);
  const area = <usize>load<u32>(cfg, C_AREAS) + (<usize>n << 3);
  store<u32>(e, load<u32>(area), G_POS);
  store<u32>(e, load<u32>(area, 4), G_END);
  store<u32>(e, 0, G_RECORDS);
  store<u32>(e, 0, G_NODATA);
  store<u32>(e, 0, G_SKIPDATA);
  store<u32>(cfg, n + 1, C_NGROUPS);
  store<u32>(cfg, n, C_LAST_GROUP);
  return <i32>n;
}

/**
 * Transcodes the lines from p up to end (end - 1 is a newline; 64 readable bytes follow) into
 * the run's groups, one per account and region, each in its own output area. Returns DONE (all
 * lines read), FULL (the run reached its byte or record limit, after a whole record), SLOW (the
 * line at C_STOP needs the decoder) or GROUPS_FULL (the line at C_STOP needs a group the run
 * has no room for).
 */
export function transcode(cfg: usize, p: usize, end: usize): i32 {
  const nFields = <usize>load<u32>(cfg, C_NFIELDS);
  const headers = load<u32>(cfg, C_HEADERS) != 0;
  const runLimit = load<u32>(cfg, C_RUN_LIMIT);
  const maxRecords = load<u32>(cfg, C_MAX_RECORDS);
  const table = <usize>load<u32>(cfg, C_GROUPS);
  const positions0 = <usize>load<u32>(cfg, C_POSITIONS);
  const posStride = <usize>load<u32>(cfg, C_POS_STRIDE);
  const fAccount = load<i32>(cfg, C_F_ACCOUNT);
  const fRegion = load<i32>(cfg, C_F_REGION);
  const fAction = load<i32>(cfg, C_F_ACTION);
  const fStatus = load<i32>(cfg, C_F_STATUS);
  const fProto = load<i32>(cfg, C_F_PROTO);
  const fSrc = load<i32>(cfg, C_F_SRC);
  const fDst = load<i32>(cfg, C_F_DST);
  const fTime0 = load<i32>(cfg, C_F_TIME0);
  const fTime1 = load<i32>(cfg, C_F_TIME1);
  const body = load<u32>(cfg, C_BODY) != 0;
  const protoNames = <usize>load<u32>(cfg, C_PROTO_NAMES);
  const protoTransports = <usize>load<u32>(cfg, C_PROTO_TRANSPORTS);
  const nOps = <usize>load<u32>(cfg, C_NOPS);
  const ops = <usize>load<u32>(cfg, C_OPS);
  const recordFixed = <usize>load<u32>(cfg, C_RECORD_FIXED);
  const timeKeys = <usize>load<u32>(cfg, C_TIME_KEYS);
  const timeWords = <usize>load<u32>(cfg, C_TIME_WORDS);
  const tokens = <usize>load<u32>(cfg, C_TOKENS);
  const kinds = <usize>load<u32>(cfg, C_KINDS);
  const observed = load<u64>(cfg, C_OBSERVED);
  let records = load<u32>(cfg, C_RECORDS);
  let runBytes = load<u32>(cfg, C_RUN_BYTES);
  let lineNo = load<f64>(cfg, C_LINENO);
  let status = DONE;
  while (p < end) {
    if (records >= maxRecords || runBytes >= runLimit) {
      status = FULL;
      break;
    }
    const ls = p;
    let c = <u32>load<u8>(p);
    if (c == 10) {
      p++;
      lineNo += 1; // a blank line
      continue;
    }
    // a line that starts with a blank, or may be a header, is the decoder's
    if (c <= 32 || (headers && c >= 97 && c <= 122)) {
      status = SLOW;
      break;
    }
    // the tokens: printable ASCII, one space between, the newline right after the last. The
    // line is read 64 bytes at a time into a mask of the bytes outside 0x21–0x7e, each of which
    // ends a token; the loop runs once per field, so its branches repeat line after line.
    let window = ls;
    let seps = separators(window);
    let plain = true;
    let f: usize = 0;
    let tokenStart = ls;
    while (f < nFields) {
      if (seps == 0) {
        window += 64;
        if (window >= end || window - ls > MAX_LINE) {
          plain = false;
          break;
        }
        seps = separators(window);
        continue;
      }
      const e = window + <usize>ctz<u64>(seps);
      seps &= seps - 1;
      const t = tokens + (f << 4);
      store<u32>(t, <u32>tokenStart);
      store<u32>(t, <u32>(e - tokenStart), 4);
      f++;
      if (e == tokenStart || <u32>load<u8>(e) != (f < nFields ? 32 : 10)) {
        plain = false;
        break;
      }
      tokenStart = e + 1;
    }
    p = tokenStart;
    const lineEnd = p - 1;
    if (!plain || lineEnd - ls > MAX_LINE) {
      p = ls;
      status = SLOW;
      break;
    }
    // numbers: `-` or up to 15 digits, read as the decoder reads them
    let digitsOk = true;
    for (let f: usize = 0; f < nFields; f++) {
      if (load<u8>(kinds + f) == 0) continue;
      const t = tokens + (f << 4);
      const s = <usize>load<u32>(t);
      const len = <usize>load<u32>(t, 4);
      // at most 15 digits, so the value is exactly what the decoder's f64 sum gives
      let v: u64 = NONE;
      if (len != 1 || load<u8>(s) != 45) {
        if (len > <usize>MAX_DIGITS) digitsOk = false;
        else if (len <= 8) {
          v = digits8(s, len);
          if (v > 99999999) digitsOk = false;
        } else {
          const hi = digits8(s, len - 8);
          const lo = digits8(s + len - 8, 8);
          if (hi > 99999999 || lo > 99999999) digitsOk = false;
          v = hi * 100000000 + lo;
        }
      }
      store<u64>(t, v, 8);
    }
    if (!digitsOk || !inDomains(cfg, tokens)) {
      p = ls;
      status = SLOW;
      break;
    }
    // the record's group: its account and region
    const aS = fAccount >= 0 ? <usize>load<u32>(tokens + (<usize>fAccount << 4)) : 0;
    const aL = fAccount >= 0 ? <usize>load<u32>(tokens + (<usize>fAccount << 4), 4) : 0;
    const rS = fRegion >= 0 ? <usize>load<u32>(tokens + (<usize>fRegion << 4)) : 0;
    const rL = fRegion >= 0 ? <usize>load<u32>(tokens + (<usize>fRegion << 4), 4) : 0;
    if (aL > GROUP_KEY_MAX || rL > GROUP_KEY_MAX) {
      p = ls;
      status = SLOW;
      break;
    }
    const g = groupOf(cfg, aS, aL, rS, rL);
    if (g < 0) {
      p = ls;
      status = GROUPS_FULL;
      break;
    }
    const ge = table + <usize>g * G_BYTES;
    let pos = <usize>load<u32>(ge, G_POS);
    const lineLen = lineEnd - ls;
    if (pos + recordFixed + 2 * lineLen > <usize>load<u32>(ge, G_END) - 64) {
      p = ls;
      status = FULL;
      break;
    }
    const rec = pos;
    store<u8>(pos, T_SL_RECORD);
    const start = pos + 3;
    pos = start;
    // timeUnixNano: the first time field with a value, cached per second (the decoder's f64 is exact here)
    let time: u64 = NONE;
    if (fTime0 >= 0) time = load<u64>(tokens + (<usize>fTime0 << 4) + 8);
    if (time == NONE && fTime1 >= 0) time = load<u64>(tokens + (<usize>fTime1 << 4) + 8);
    if (time != NONE && time > 0) {
      if (time > 9200000000) {
        p = ls;
        status = SLOW;
        break;
      }
      pos = putTime(pos, <f64>time, timeKeys, timeWords);
    }
    pos = putObserved(pos, observed);
    let reject = false;
    if (fAction >= 0) {
      const a = tokens + (<usize>fAction << 4);
      reject = isWord(<usize>load<u32>(a), <usize>load<u32>(a, 4), W_REJECT, 6);
    }
    pos = copyPiece(pos, cfg + (reject ? C_SEV_WARN : C_SEV_INFO));
    if (body) pos = putBody(pos, ls, lineLen);
    // the endpoint and protocol rules, in the mapping's order
    let src: usize = 0;
    let srcLen: usize = 0;
    let dst: usize = 0;
    let dstLen: usize = 0;
    if (fSrc >= 0) {
      const a = tokens + (<usize>fSrc << 4);
      src = <usize>load<u32>(a);
      srcLen = <usize>load<u32>(a, 4);
      if (srcLen == 1 && load<u8>(src) == 45) srcLen = 0;
      if (srcLen > 0) pos = putStr(pos, <usize>load<u32>(cfg, C_SRC_KEY), <usize>load<u32>(cfg, C_SRC_KEY + 4), src, srcLen);
    }
    if (fDst >= 0) {
      const a = tokens + (<usize>fDst << 4);
      dst = <usize>load<u32>(a);
      dstLen = <usize>load<u32>(a, 4);
      if (dstLen == 1 && load<u8>(dst) == 45) dstLen = 0;
      if (dstLen > 0) pos = putStr(pos, <usize>load<u32>(cfg, C_DST_KEY), <usize>load<u32>(cfg, C_DST_KEY + 4), dst, dstLen);
    }
    let slow = false;
    if (fProto >= 0) {
      const v = load<u64>(tokens + (<usize>fProto << 4) + 8);
      if (v != NONE) {
        if (v >= 256) slow = true;
        else {
          const k = <usize>v << 3;
          pos = copyPiece(pos, protoNames + k);
          pos = copyPiece(pos, protoTransports + k);
        }
      }
    }
    // network.type: the family of the first address present
    const famAt = srcLen > 0 ? src : dst;
    const famLen = srcLen > 0 ? srcLen : dstLen;
    if (famLen > 0) pos = copyPiece(pos, cfg + (hasColon(famAt, famLen) ? C_FAMILY6 : C_FAMILY4));
    for (let o: usize = 0; o < nOps; o++) {
      const op = ops + (o << 4);
      const tk = tokens + (<usize>load<u32>(op, 4) << 4);
      const key = <usize>load<u32>(op, 8);
      const kl = <usize>load<u32>(op, 12);
      if (load<u32>(op) == OP_INT) {
        const v = load<u64>(tk + 8);
        if (v != NONE) pos = putInt(pos, key, kl, v);
      } else {
        const s = <usize>load<u32>(tk);
        const n = <usize>load<u32>(tk, 4);
        if (n != 1 || load<u8>(s) != 45) pos = putStr(pos, key, kl, s, n);
      }
    }
    const len = pos - start;
    if (slow || len < 128 || len >= 16384) {
      p = ls;
      status = SLOW;
      break;
    }
    endRecord(start, len);
    store<u32>(ge, <u32>pos, G_POS);
    if (fStatus >= 0) {
      const a = tokens + (<usize>fStatus << 4);
      const s = <usize>load<u32>(a);
      const n = <usize>load<u32>(a, 4);
      if (isWord(s, n, W_NODATA, 6)) store<u32>(ge, load<u32>(ge, G_NODATA) + 1, G_NODATA);
      else if (isWord(s, n, W_SKIPDATA, 8)) store<u32>(ge, load<u32>(ge, G_SKIPDATA) + 1, G_SKIPDATA);
    }
    lineNo += 1;
    const gr = load<u32>(ge, G_RECORDS);
    store<f64>(positions0 + ((<usize>g * posStride + <usize>gr) << 3), lineNo);
    store<u32>(ge, gr + 1, G_RECORDS);
    records++;
    runBytes += <u32>(pos - rec);
  }
  store<u32>(cfg, <u32>p, C_STOP);
  store<u32>(cfg, records, C_RECORDS);
  store<u32>(cfg, runBytes, C_RUN_BYTES);
  store<f64>(cfg, lineNo, C_LINENO);
  return status;
}
