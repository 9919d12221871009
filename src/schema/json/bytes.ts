import { isoTime } from '../view.js';

/**
 * A growing byte buffer that compiled document writers (see `compile.ts`) write JSON into, in
 * the exact form `JSON.stringify` gives: no spaces, numbers as JavaScript prints them.
 *
 * Members of an object are written with `member`, which puts the comma in front of all but the
 * first; an object that may end up empty is opened with `open` and closed with `close`, which
 * takes the object out again (key included) when nothing was written into it.
 */
export class JsonBytes {
  buf: Buffer;
  pos = 0;
  /** No member written yet in the innermost open object or array. */
  first = true;

  constructor(capacity = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Room for n more bytes. */
  room(n: number): void {
    if (this.pos + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + 4096));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
  }

  /** Drops everything written; keeps the memory. */
  reset(): void {
    this.pos = 0;
    this.first = true;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  /** Bytes [start, end) of src, copied by a loop: short runs (ids) cost less so than a native copy. */
  bytes(src: Uint8Array, start: number, end: number): void {
    this.room(end - start);
    const buf = this.buf;
    let p = this.pos;
    for (let k = start; k < end; k++) buf[p++] = src[k]!;
    this.pos = p;
  }

  /** The whole of `src` (a pre-encoded fragment): TypedArray#set copies short runs fastest. */
  frag(src: Uint8Array): void {
    const n = src.length;
    if (this.pos + n > this.buf.length) this.room(n);
    this.buf.set(src, this.pos);
    this.pos += n;
  }

  /** A comma unless this is the first member of the current object or array. */
  comma(): void {
    if (this.first) this.first = false;
    else this.byte(0x2c);
  }

  /** A member of the current object whose `"key":` bytes (no comma) are given; the value follows. */
  member(key: Uint8Array): void {
    this.comma();
    this.frag(key);
  }

  /** A number member, left out when the value is NaN (a null cell or an absent column). */
  numMember(key: Uint8Array, v: number): void {
    if (Number.isNaN(v)) return;
    this.member(key);
    this.num(v);
  }

  /** Starts an object member that `close` removes again if it stays empty; returns what `close` needs. */
  open(key: Uint8Array): number {
    const mark = this.first ? -1 - this.pos : this.pos;
    this.comma();
    this.frag(key);
    this.byte(0x7b);
    this.first = true;
    return mark;
  }

  /** Ends the object `open` started: `}`, or nothing at all when no member was written. */
  close(mark: number): void {
    if (!this.first) {
      this.byte(0x7d);
      return;
    }
    // empty: back to before its key, and the enclosing object's comma state as it was
    if (mark < 0) {
      this.pos = -1 - mark;
      this.first = true;
    } else {
      this.pos = mark;
      this.first = false;
    }
  }

  /** `{` or `[` of an object or array that is always written. */
  begin(b: number): void {
    this.byte(b);
    this.first = true;
  }

  /** `}` or `]`: the enclosing object now has a member. */
  end(b: number): void {
    this.byte(b);
    this.first = false;
  }

  /** Text known to be ASCII and to need no JSON escaping. */
  ascii(s: string): void {
    this.room(s.length);
    const buf = this.buf;
    let p = this.pos;
    for (let k = 0; k < s.length; k++) buf[p++] = s.charCodeAt(k);
    this.pos = p;
  }

  /** Any string as a JSON string (JSON.stringify's escaping). */
  str(s: string): void {
    const json = JSON.stringify(s);
    this.room(json.length * 3);
    this.pos += this.buf.write(json, this.pos, 'utf8');
  }

  /** A number as JSON.stringify writes it (not finite: null). */
  num(v: number): void {
    if (Number.isInteger(v) && v < 9007199254740992 && v > -9007199254740992) this.int(v);
    else if (Number.isFinite(v)) this.ascii(String(v));
    else this.ascii('null');
  }

  /** A safe integer's digits (-0 as 0, as JSON.stringify writes it). */
  private int(v: number): void {
    this.room(17);
    const buf = this.buf;
    let p = this.pos;
    if (v < 0) {
      buf[p++] = 0x2d;
      v = -v;
    }
    if (v < 1e9) p = digits(buf, p, v | 0, 0);
    else {
      // above 32-bit range: the high part, then the low nine digits zero-padded
      const high = Math.floor(v / 1e9);
      p = digits(buf, p, high, 0);
      p = digits(buf, p, v - high * 1e9, 9);
    }
    this.pos = p;
  }

  /** Unix seconds as the JSON string of `isoTime` (`"2026-06-01T00:09:57.000Z"`). */
  time(seconds: number): void {
    const ms = Math.trunc(seconds * 1000);
    // years 1970–9999 by arithmetic; anything else (and what Date refuses) as isoTime does it
    if (!(ms >= 0 && ms < 253402300800000)) {
      this.str(isoTime(seconds));
      return;
    }
    const days = Math.floor(ms / 86400000);
    let rest = ms - days * 86400000;
    // civil date from days since 1970-01-01 (Howard Hinnant's days_from_civil, inverted)
    const z = days + 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor(
      (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
    );
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const month = mp < 10 ? mp + 3 : mp - 9;
    const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    const hour = Math.floor(rest / 3600000);
    rest -= hour * 3600000;
    const minute = Math.floor(rest / 60000);
    rest -= minute * 60000;
    const second = Math.floor(rest / 1000);
    const milli = rest - second * 1000;
    this.room(26);
    const b = this.buf;
    const p = this.pos;
    b[p] = 0x22;
    b[p + 1] = 0x30 + Math.floor(year / 1000);
    b[p + 2] = 0x30 + (Math.floor(year / 100) % 10);
    b[p + 3] = 0x30 + (Math.floor(year / 10) % 10);
    b[p + 4] = 0x30 + (year % 10);
    b[p + 5] = 0x2d;
    two(b, p + 6, month);
    b[p + 8] = 0x2d;
    two(b, p + 9, day);
    b[p + 11] = 0x54; // T
    two(b, p + 12, hour);
    b[p + 14] = 0x3a;
    two(b, p + 15, minute);
    b[p + 17] = 0x3a;
    two(b, p + 18, second);
    b[p + 20] = 0x2e;
    b[p + 21] = 0x30 + Math.floor(milli / 100);
    b[p + 22] = 0x30 + (Math.floor(milli / 10) % 10);
    b[p + 23] = 0x30 + (milli % 10);
    b[p + 24] = 0x5a; // Z
    b[p + 25] = 0x22;
    this.pos = p + 26;
  }

  /** What was written, as its own plain byte array (a fragment to keep; cheaper than a Buffer). */
  take(): Uint8Array {
    const out = new Uint8Array(this.pos);
    for (let k = 0; k < this.pos; k++) out[k] = this.buf[k]!;
    return out;
  }

  /** What was written, as its own copy. */
  copy(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

/** The decimal digits of 0 ≤ v < 1e9 at p (at least `width` of them, zero-padded); the end. */
function digits(buf: Buffer, p: number, v: number, width: number): number {
  let n = 1;
  for (let t = 10; t <= v && n < 10; t *= 10) n++;
  if (n < width) n = width;
  const end = p + n;
  let q = end;
  while (q > p) {
    const d = (v / 10) | 0;
    buf[--q] = 0x30 + v - d * 10;
    v = d;
  }
  return end;
}

function two(b: Buffer, p: number, v: number): void {
  const tens = Math.floor(v / 10);
  b[p] = 0x30 + tens;
  b[p + 1] = 0x30 + (v - tens * 10);
}

/** The UTF-8 bytes of a fragment's text (keys, constants), made once per batch. */
export function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** `"key":` as bytes, the key escaped as JSON.stringify escapes it. */
export function keyBytes(key: string): Buffer {
  return Buffer.from(`${JSON.stringify(key)}:`, 'utf8');
}
