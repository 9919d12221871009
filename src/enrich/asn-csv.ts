/**
 * A byte-level parser for the numeric ASN range CSV files of the ip-location-db `asn` package:
 *
 *   start,end,asn,organisation          (start and end inclusive, decimal integers)
 *
 * IPv4 bounds are 32-bit; IPv6 bounds are 128-bit decimals, kept as four 32-bit words (most
 * significant first) so neither parsing nor lookups allocate a BigInt. The organisation is plain
 * text or RFC 4180 quoted (`"Cloudflare, Inc."`, `"LLC ""SPUTNIK"""`). Lines are parsed
 * straight from the bytes as chunks arrive; no line is turned into a string except its
 * organisation, and each distinct organisation is stored once.
 */

const NL = 10;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;
const ZERO = 48;
const NINE = 57;

/** FNV-1a over bytes: `h = imul(h ^ byte, FNV_PRIME)` from FNV_BASIS. */
const FNV_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** A partial line longer than this is not an ASN row: the file is not what it should be. */
const MAX_LINE = 64 * 1024;

/** A bad row: the message names the file and line. */
export class AsnCsvError extends Error {
  override name = 'AsnCsvError';
}

/**
 * Organisation names, each stored once; id 0 means "none". Rows are matched to names by their
 * raw field bytes (a hash table over the bytes seen so far), so the hundreds of thousands of rows
 * repeating a name never become strings: only a first occurrence is decoded. The files write a
 * given name the same way every time, so equal bytes is equal names.
 */
export class OrgPool {
  readonly names: string[] = [''];
  /** The raw bytes of every name added, back to back. */
  private keyBytes = Buffer.allocUnsafe(1 << 16);
  private keyUsed = 0;
  /**
   * Open addressing, four words per slot so one probe touches one cache line:
   * [name id (0 = empty), hash, start in keyBytes, length].
   */
  private slots = new Uint32Array(4096 * 4);
  private used = 0;

  /**
   * The id of the name whose raw field bytes are buf[start, end), `h` being their FNV-1a hash;
   * `escaped` when they hold `""` for a quote. Only a first occurrence of some bytes becomes a string.
   */
  idOfBytes(buf: Buffer, start: number, end: number, h: number, escaped: boolean): number {
    if (start === end) return 0;
    const slots = this.slots;
    if (slots.length === 0) throw new Error('OrgPool: no names can be added once sealed');
    const mask = (slots.length >>> 2) - 1;
    const hash = h >>> 0;
    const len = end - start;
    const keyBytes = this.keyBytes;
    let slot = hash & mask;
    for (;;) {
      const at = slot * 4;
      const id = slots[at]!;
      if (id === 0) break;
      if (slots[at + 1] === hash && slots[at + 3] === len) {
        const off = slots[at + 2]! - start;
        let i = start;
        while (i < end && keyBytes[off + i] === buf[i]) i++;
        if (i === end) return id;
      }
      slot = (slot + 1) & mask;
    }
    let text = buf.toString('utf8', start, end);
    if (escaped) text = text.replaceAll('""', '"');
    const id = this.names.length;
    this.names.push(text.trim());
    this.addKey(buf, start, end, hash, id, slot);
    return id;
  }

  /** Drops the lookup structures once every file is loaded; only the names stay in memory. */
  seal(): void {
    this.keyBytes = Buffer.alloc(0);
    this.slots = new Uint32Array(0);
  }

  private addKey(buf: Buffer, start: number, end: number, hash: number, id: number, slot: number): void {
    const len = end - start;
    if (this.keyUsed + len > this.keyBytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.keyBytes.length * 2, this.keyUsed + len));
      this.keyBytes.copy(bigger, 0, 0, this.keyUsed);
      this.keyBytes = bigger;
    }
    // Names are short: a loop beats a native copy call.
    const keyBytes = this.keyBytes;
    for (let i = start, o = this.keyUsed; i < end; i++, o++) keyBytes[o] = buf[i]!;
    const at = slot * 4;
    this.slots[at] = id;
    this.slots[at + 1] = hash;
    this.slots[at + 2] = this.keyUsed;
    this.slots[at + 3] = len;
    this.keyUsed += len;
    // Keep the table at most half full.
    if (++this.used * 2 > this.slots.length >>> 2) this.rehash();
  }

  private rehash(): void {
    const old = this.slots;
    const slots = new Uint32Array(old.length * 2);
    const mask = (slots.length >>> 2) - 1;
    for (let at = 0; at < old.length; at += 4) {
      if (old[at] === 0) continue;
      let slot = old[at + 1]! & mask;
      while (slots[slot * 4] !== 0) slot = (slot + 1) & mask;
      const to = slot * 4;
      slots[to] = old[at]!;
      slots[to + 1] = old[at + 1]!;
      slots[to + 2] = old[at + 2]!;
      slots[to + 3] = old[at + 3]!;
    }
    this.slots = slots;
  }
}

/**
 * Sorted, non-overlapping ranges of one IP version. `words` is 1 (IPv4) or 4 (IPv6); a bound
 * occupies `words` consecutive entries of `starts`/`ends`.
 */
export class AsnRangeTable {
  constructor(
    readonly words: 1 | 4,
    readonly count: number,
    readonly starts: Uint32Array,
    readonly ends: Uint32Array,
    readonly asns: Uint32Array,
    readonly orgIds: Uint32Array,
  ) {}

  /** The row holding IPv4 address `ip` (an unsigned 32-bit number), or -1. */
  findV4(ip: number): number {
    const { starts, ends } = this;
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= ip) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && ip <= ends[found]! ? found : -1;
  }

  /** The row holding the IPv6 address whose words (most significant first) are w0..w3, or -1. */
  findV6(w0: number, w1: number, w2: number, w3: number): number {
    const { starts, ends } = this;
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compare4(starts, mid * 4, w0, w1, w2, w3) <= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && compare4(ends, found * 4, w0, w1, w2, w3) >= 0 ? found : -1;
  }

  /** Bytes held by the typed arrays. */
  get bytes(): number {
    return this.starts.byteLength + this.ends.byteLength + this.asns.byteLength + this.orgIds.byteLength;
  }
}

/** Sign of (a[at..at+4) − w0..w3), as 128-bit unsigned numbers. */
function compare4(a: Uint32Array, at: number, w0: number, w1: number, w2: number, w3: number): number {
  let d = a[at]! - w0;
  if (d !== 0) return d;
  d = a[at + 1]! - w1;
  if (d !== 0) return d;
  d = a[at + 2]! - w2;
  if (d !== 0) return d;
  return a[at + 3]! - w3;
}

/** Compares bound i of `a` with bound j of `b` (both `words` wide). */
function compareBounds(a: Uint32Array, i: number, b: Uint32Array, j: number, words: number): number {
  for (let k = 0; k < words; k++) {
    const d = a[i * words + k]! - b[j * words + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Incremental parser: `push` chunks of the file in order, then `end`. */
export class AsnCsvParser {
  private capacity = 4096;
  private count = 0;
  private starts: Uint32Array;
  private ends: Uint32Array;
  private asns: Uint32Array;
  private orgIds: Uint32Array;
  private line = 0;
  private rest: Buffer | null = null;
  /** The 128-bit number being parsed, as eight 16-bit limbs, least significant first. */
  private readonly limbs = new Uint32Array(8);
  /** The last number parsed (IPv4 bound or AS number). */
  private value = 0;

  constructor(
    private readonly words: 1 | 4,
    private readonly source: string,
    private readonly orgs: OrgPool,
  ) {
    this.starts = new Uint32Array(this.capacity * words);
    this.ends = new Uint32Array(this.capacity * words);
    this.asns = new Uint32Array(this.capacity);
    this.orgIds = new Uint32Array(this.capacity);
  }

  /** Parses every complete line in `chunk`; an incomplete last line waits for the next chunk. */
  push(chunk: Buffer): void {
    let from = 0;
    if (this.rest) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.carry(Buffer.concat([this.rest, chunk]));
        return;
      }
      const joined = Buffer.concat([this.rest, chunk.subarray(0, nl + 1)]);
      this.rest = null;
      this.parseLines(joined, 0, joined.length);
      from = nl + 1;
    }
    const last = chunk.lastIndexOf(NL);
    if (last < from) {
      this.carry(Buffer.from(chunk.subarray(from)));
      return;
    }
    this.parseLines(chunk, from, last + 1);
    // Copied: the caller reuses its chunk buffer.
    if (last + 1 < chunk.length) this.carry(Buffer.from(chunk.subarray(last + 1)));
  }

  /** The table, sorted and without overlaps. A file without a final newline is fine. */
  end(): AsnRangeTable {
    if (this.rest) {
      const tail = this.rest;
      this.rest = null;
      this.parseLines(tail, 0, tail.length);
    }
    const w = this.words;
    const n = this.count;
    normalise(this.starts, this.ends, this.asns, this.orgIds, n, w);
    const kept = dropOverlaps(this.starts, this.ends, this.asns, this.orgIds, n, w);
    return new AsnRangeTable(
      w,
      kept,
      this.starts.slice(0, kept * w),
      this.ends.slice(0, kept * w),
      this.asns.slice(0, kept),
      this.orgIds.slice(0, kept),
    );
  }

  private carry(tail: Buffer): void {
    if (tail.length > MAX_LINE) this.fail(this.line + 1, `line longer than ${MAX_LINE} bytes`);
    this.rest = tail.length > 0 ? tail : null;
  }

  private fail(line: number, what: string): never {
    throw new AsnCsvError(`${this.source} line ${line}: ${what}`);
  }

  /** Parses the lines of buf[from, to); every line but possibly the last ends with `\n`. */
  private parseLines(buf: Buffer, from: number, to: number): void {
    let p = from;
    while (p < to) {
      this.line++;
      const c = buf[p]!;
      if (c === NL) p++;
      else if (c === CR && (p + 1 === to || buf[p + 1] === NL)) p += 2;
      else p = this.parseRow(buf, p, to);
    }
  }

  /** One row starting at p; returns where the next line starts. */
  private parseRow(buf: Buffer, p: number, to: number): number {
    const w = this.words;
    if (this.count === this.capacity) this.grow();
    const i = this.count;
    p = this.bound(buf, p, to, this.starts, i * w, 'start');
    p = this.comma(buf, p, to, 'start');
    p = this.bound(buf, p, to, this.ends, i * w, 'end');
    p = this.comma(buf, p, to, 'end');
    p = this.number(buf, p, to);
    if (p < 0) this.fail(this.line, 'AS number is not a number up to 4294967295');
    this.asns[i] = this.value;
    p = this.comma(buf, p, to, 'AS number');
    p = this.org(buf, p, to, i);
    if (compareBounds(this.ends, i, this.starts, i, w) < 0)
      this.fail(this.line, 'range end is below its start');
    this.count++;
    return p;
  }

  private comma(buf: Buffer, p: number, e: number, after: string): number {
    if (p >= e || buf[p] !== COMMA) this.fail(this.line, `expected a comma after the ${after}`);
    return p + 1;
  }

  /** Parses a range bound into out[at..at+words). */
  private bound(buf: Buffer, p: number, e: number, out: Uint32Array, at: number, what: string): number {
    if (this.words === 1) {
      const q = this.number(buf, p, e);
      if (q < 0) this.fail(this.line, `${what} is not an IPv4 address number (0-4294967295)`);
      out[at] = this.value;
      return q;
    }
    const q = this.wide(buf, p, e);
    if (q < 0) this.fail(this.line, `${what} is not an IPv6 address number (0 to 2^128-1)`);
    const l = this.limbs;
    out[at] = l[7]! * 65536 + l[6]!;
    out[at + 1] = l[5]! * 65536 + l[4]!;
    out[at + 2] = l[3]! * 65536 + l[2]!;
    out[at + 3] = l[1]! * 65536 + l[0]!;
    return q;
  }

  /** A decimal up to 2^32-1 into `value`; returns the position after it, or -1. */
  private number(buf: Buffer, p: number, e: number): number {
    const start = p;
    let v = 0;
    while (p < e) {
      const c = buf[p]!;
      if (c < ZERO || c > NINE) break;
      v = v * 10 + (c - ZERO);
      p++;
    }
    if (p === start || p - start > 10 || v > 0xffffffff) return -1;
    this.value = v;
    return p;
  }

  /**
   * A decimal up to 2^128-1 into `limbs`; the position after it, or -1. Four digits at a time into
   * eight 16-bit limbs held in locals, so every step is int32 arithmetic (limb × 10^4 + carry < 2^31).
   */
  private wide(buf: Buffer, p: number, e: number): number {
    const start = p;
    let l0 = 0;
    let l1 = 0;
    let l2 = 0;
    let l3 = 0;
    let l4 = 0;
    let l5 = 0;
    let l6 = 0;
    let l7 = 0;
    while (p < e) {
      let chunk = 0;
      let mult = 1;
      const stop = Math.min(p + 4, e);
      for (; p < stop; p++) {
        const c = buf[p]!;
        if (c < ZERO || c > NINE) break;
        chunk = chunk * 10 + (c - ZERO);
        mult *= 10;
      }
      if (mult === 1) break;
      let v = l0 * mult + chunk;
      l0 = v & 0xffff;
      v = l1 * mult + (v >>> 16);
      l1 = v & 0xffff;
      v = l2 * mult + (v >>> 16);
      l2 = v & 0xffff;
      v = l3 * mult + (v >>> 16);
      l3 = v & 0xffff;
      v = l4 * mult + (v >>> 16);
      l4 = v & 0xffff;
      v = l5 * mult + (v >>> 16);
      l5 = v & 0xffff;
      v = l6 * mult + (v >>> 16);
      l6 = v & 0xffff;
      v = l7 * mult + (v >>> 16);
      l7 = v & 0xffff;
      if (v >>> 16 !== 0) return -1; // past 2^128 - 1
      if (mult < 10_000) break; // stopped at a non-digit or the end of the line
    }
    if (p === start) return -1;
    const l = this.limbs;
    l[0] = l0;
    l[1] = l1;
    l[2] = l2;
    l[3] = l3;
    l[4] = l4;
    l[5] = l5;
    l[6] = l6;
    l[7] = l7;
    return p;
  }

  /**
   * The organisation field of row i, to the end of the line: plain, or quoted with `""` for a
   * quote. One pass finds its end and hashes its bytes. Returns where the next line starts.
   */
  private org(buf: Buffer, p: number, to: number, i: number): number {
    let h = FNV_BASIS;
    if (p < to && buf[p] === QUOTE) {
      const start = p + 1;
      let q = start;
      let escaped = false;
      for (;;) {
        if (q >= to || buf[q] === NL) this.fail(this.line, 'unterminated quoted organisation');
        const c = buf[q]!;
        if (c === QUOTE) {
          if (q + 1 < to && buf[q + 1] === QUOTE) {
            h = Math.imul(Math.imul(h ^ QUOTE, FNV_PRIME) ^ QUOTE, FNV_PRIME);
            escaped = true;
            q += 2;
            continue;
          }
          break;
        }
        h = Math.imul(h ^ c, FNV_PRIME);
        q++;
      }
      const end = q++;
      if (q < to && buf[q] === CR) q++;
      if (q < to && buf[q] !== NL) this.fail(this.line, 'text after the closing quote of the organisation');
      this.orgIds[i] = this.orgs.idOfBytes(buf, start, end, h, escaped);
      return q + 1;
    }
    let q = p;
    while (q < to) {
      const c = buf[q]!;
      if (c === NL || (c === CR && (q + 1 === to || buf[q + 1] === NL))) break;
      h = Math.imul(h ^ c, FNV_PRIME);
      q++;
    }
    this.orgIds[i] = this.orgs.idOfBytes(buf, p, q, h, false);
    if (q < to && buf[q] === CR) q++;
    return q + 1;
  }

  private grow(): void {
    const w = this.words;
    this.capacity *= 2;
    const widen = (a: Uint32Array, size: number): Uint32Array<ArrayBuffer> => {
      const b = new Uint32Array(size);
      b.set(a);
      return b;
    };
    this.starts = widen(this.starts, this.capacity * w);
    this.ends = widen(this.ends, this.capacity * w);
    this.asns = widen(this.asns, this.capacity);
    this.orgIds = widen(this.orgIds, this.capacity);
  }
}

/** Sorts the rows by start when the file was not already sorted (the packaged files are). */
function normalise(
  starts: Uint32Array,
  ends: Uint32Array,
  asns: Uint32Array,
  orgIds: Uint32Array,
  n: number,
  w: number,
): void {
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) if (compareBounds(starts, i - 1, starts, i, w) > 0) sorted = false;
  if (sorted) return;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => compareBounds(starts, a, starts, b, w) || a - b,
  );
  const s = starts.slice(0, n * w);
  const en = ends.slice(0, n * w);
  const as = asns.slice(0, n);
  const org = orgIds.slice(0, n);
  order.forEach((from, to) => {
    starts.set(s.subarray(from * w, from * w + w), to * w);
    ends.set(en.subarray(from * w, from * w + w), to * w);
    asns[to] = as[from]!;
    orgIds[to] = org[from]!;
  });
}

/**
 * Makes sorted rows disjoint, so a binary search on starts finds the only candidate: where a row
 * overlaps the one before, the earlier row keeps the shared addresses and the later one keeps
 * what is left past it (or is dropped). Returns the number of rows kept.
 */
function dropOverlaps(
  starts: Uint32Array,
  ends: Uint32Array,
  asns: Uint32Array,
  orgIds: Uint32Array,
  n: number,
  w: number,
): number {
  let kept = 0;
  for (let i = 0; i < n; i++) {
    if (kept > 0 && compareBounds(starts, i, ends, kept - 1, w) <= 0) {
      if (compareBounds(ends, i, ends, kept - 1, w) <= 0) continue;
      // start = previous end + 1 (no carry out: this row's end is above the previous end).
      starts.set(ends.subarray((kept - 1) * w, kept * w), i * w);
      for (let k = w - 1; k >= 0; k--) {
        const v = starts[i * w + k]!;
        starts[i * w + k] = v + 1;
        if (v !== 0xffffffff) break;
      }
    }
    if (kept !== i) {
      starts.copyWithin(kept * w, i * w, i * w + w);
      ends.copyWithin(kept * w, i * w, i * w + w);
      asns[kept] = asns[i]!;
      orgIds[kept] = orgIds[i]!;
    }
    kept++;
  }
  return kept;
}
