import type { GeoRecord } from './geo-db.js';
import type { PagedFile } from './paged-file.js';

/**
 * The part of a MaxMind DB file the geo enricher needs for every new address, read straight
 * from the file's pages as they are needed (PagedFile: the file is never read whole): the search
 * tree, walked with the address's words (no text to parse), and the four values geo keeps
 * (country, city, coordinates), picked out of the record without decoding the rest of it. A
 * record's answer is kept by its offset (many networks share one record), so each is read once
 * per process. The `maxmind` package answers whatever this does not read itself (see UNREAD).
 *
 * The answers are the ones `geoRecord(reader.get(ip))` gives (a test compares the two): the
 * flattened ip-location-db layout (`country_code`, `city`, `latitude`, `longitude`) first,
 * then the MaxMind one (`country` or `registered_country` `.iso_code`, `city.names.en`,
 * `location.latitude`/`.longitude`), a key given twice counting by its last value.
 */

/** What the tree and the reader need from the file's metadata. */
export interface TreeShape {
  readonly nodeCount: number;
  readonly recordSize: number;
  readonly ipVersion: number;
  readonly searchTreeSize: number;
}

/** A record this reader leaves to `maxmind` (not a map, a key that is not text, an odd type). */
export const UNREAD = Symbol('unread');

// Data section types (MaxMind DB format 2.0).
const POINTER = 1;
const STRING = 2;
const DOUBLE = 3;
const BYTES = 4;
const UINT16 = 5;
const UINT32 = 6;
const MAP = 7;
const INT32 = 8;
const UINT64 = 9;
const UINT128 = 10;
const ARRAY = 11;
const BOOLEAN = 14;
const FLOAT = 15;

/** The keys geo looks for, as bytes; slot numbers index `found` below. */
const KEYS = [
  'country_code',
  'city',
  'latitude',
  'longitude',
  'country',
  'registered_country',
  'location',
  'iso_code',
  'names',
  'en',
] as const;
const K_COUNTRY_CODE = 0;
const K_CITY = 1;
const K_LATITUDE = 2;
const K_LONGITUDE = 3;
const K_COUNTRY = 4;
const K_REGISTERED = 5;
const K_LOCATION = 6;
const K_ISO = 7;
const K_NAMES = 8;
const K_EN = 9;
const KEY_BYTES = KEYS.map((k) => Buffer.from(k, 'latin1'));

/** The metadata keys the tree needs, in TreeShape order below. */
const META_KEYS = ['node_count', 'record_size', 'ip_version'].map((k) => Buffer.from(k, 'latin1'));
/** Metadata starts after this marker, within the file's last 128 KiB (format 2.0). */
const META_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');
const META_SPAN = 128 * 1024;

const MAX_RECORDS = 20_000;

export class MmdbGeo {
  readonly shape: TreeShape;
  private readonly nodeBytes: number;
  private readonly dataStart: number;
  private readonly ipv4Start: number;
  private readonly records = new Map<number, GeoRecord | typeof UNREAD>();
  /** Value offsets of the keys of the map being read (-1: absent), per nesting level. */
  private readonly found = [new Int32Array(KEYS.length), new Int32Array(KEYS.length)];
  /** What `header` read last: the value's size and where its payload starts. */
  private size = 0;
  private payload = 0;

  constructor(
    private readonly db: PagedFile,
    shape?: TreeShape,
  ) {
    this.shape = shape ?? this.readShape();
    this.nodeBytes = this.shape.recordSize / 4;
    this.dataStart = this.shape.searchTreeSize + 16;
    let node = 0;
    if (this.shape.ipVersion === 6) {
      // IPv4 addresses sit under 96 zero bits of an IPv6 tree
      for (let i = 0; i < 96 && node < this.shape.nodeCount; i++) node = this.child(node, 0);
    }
    this.ipv4Start = node;
  }

  /** 4 or 6, as the file's metadata says. */
  get ipVersion(): number {
    return this.shape.ipVersion;
  }

  /**
   * The record of an address given as words (IPv4: `words[at]`; IPv6: `words[at..at+4)`), or
   * -1 when the file has none: its offset in the file.
   */
  find(words: Uint32Array, at: number, isV6: boolean): number {
    const nodeCount = this.shape.nodeCount;
    const bits = isV6 ? 128 : 32;
    let node = isV6 ? 0 : this.ipv4Start;
    let depth = 0;
    for (; depth < bits && node < nodeCount; depth++) {
      const word = words[at + (depth >>> 5)]!;
      node = this.child(node, (word >>> (31 - (depth & 31))) & 1);
    }
    return node > nodeCount ? node - nodeCount + this.shape.searchTreeSize : -1;
  }

  /** The geo values of the record at `offset` (see `find`), or UNREAD. */
  geoAt(offset: number): GeoRecord | typeof UNREAD {
    let rec = this.records.get(offset);
    if (rec === undefined) {
      rec = this.read(offset);
      if (this.records.size >= MAX_RECORDS) this.records.clear();
      this.records.set(offset, rec);
    }
    return rec;
  }

  /**
   * The tree's shape from the file's metadata (the map after the last marker): what `maxmind`
   * reads from it too. Throws when the file has no such metadata.
   */
  private readShape(): TreeShape {
    const db = this.db;
    const floor = Math.max(0, db.size - META_SPAN);
    let start = -1;
    for (let at = db.size - META_MARKER.length; at >= floor && start < 0; at--) {
      let i = 0;
      while (i < META_MARKER.length && db.u8(at + i) === META_MARKER[i]) i++;
      if (i === META_MARKER.length) start = at + i;
    }
    const found = this.found[0]!;
    const fail = (why: string) => new Error(`${db.path} is not a MaxMind DB (.mmdb) file: ${why}`);
    if (start < 0 || !this.keysOf(start, found, META_KEYS)) throw fail('no metadata');
    const [nodeCount, recordSize, ipVersion] = [0, 1, 2].map((k) => this.number(found[k]!));
    if (typeof nodeCount !== 'number' || !(nodeCount > 0)) throw fail('no node count');
    if (recordSize !== 24 && recordSize !== 28 && recordSize !== 32) throw fail('unsupported record size');
    if (ipVersion !== 4 && ipVersion !== 6) throw fail('unsupported IP version');
    const searchTreeSize = (nodeCount * recordSize) / 4;
    if (searchTreeSize + 16 > db.size) throw fail('shorter than its search tree');
    return { nodeCount, recordSize, ipVersion, searchTreeSize };
  }

  private child(node: number, bit: number): number {
    const db = this.db;
    const o = node * this.nodeBytes;
    switch (this.shape.recordSize) {
      case 24:
        return db.uint(o + 3 * bit, 3);
      case 28: {
        const middle = db.u8(o + 3);
        const high = bit === 0 ? (middle & 0xf0) << 20 : (middle & 0x0f) << 24;
        return (high | db.uint(o + 4 * bit, 3)) >>> 0;
      }
      default:
        return db.uint(o + 4 * bit, 4);
    }
  }

  private read(offset: number): GeoRecord | typeof UNREAD {
    const top = this.found[0]!;
    if (!this.keysOf(this.resolve(offset), top)) return UNREAD;
    // country: country_code, else the iso_code of country (or, when that is not an object, registered_country)
    let country = this.text(top[K_COUNTRY_CODE]!);
    if (country === UNREAD) return UNREAD;
    if (country === null) {
      let holder = top[K_COUNTRY]!;
      if (!this.isObject(holder)) holder = top[K_REGISTERED]!;
      const iso = this.member(holder, K_ISO);
      if (iso === UNREAD) return UNREAD;
      country = this.text(iso);
      if (country === UNREAD) return UNREAD;
    }
    // city: the city text, else city.names.en
    let city = this.text(top[K_CITY]!);
    if (city === UNREAD) return UNREAD;
    if (city === null) {
      const names = this.member(top[K_CITY]!, K_NAMES);
      const en = names === UNREAD ? UNREAD : this.member(names, K_EN);
      if (en === UNREAD) return UNREAD;
      city = this.text(en);
      if (city === UNREAD) return UNREAD;
    }
    // coordinates: top-level when the key is there (whatever its value), else location's
    const lat = this.coordinate(top[K_LATITUDE]!, top[K_LOCATION]!, K_LATITUDE);
    const lon = this.coordinate(top[K_LONGITUDE]!, top[K_LOCATION]!, K_LONGITUDE);
    if (lat === UNREAD || lon === UNREAD) return UNREAD;
    return { country, city, lat, lon };
  }

  private coordinate(own: number, location: number, key: number): number | null | typeof UNREAD {
    if (own >= 0) return this.number(own);
    const v = this.member(location, key);
    return v === UNREAD ? UNREAD : this.number(v);
  }

  /** The value offset of `key` in the map at `offset` (-1 when absent or not a map). */
  private member(offset: number, key: number): number | typeof UNREAD {
    if (offset < 0) return -1;
    const at = this.resolve(offset);
    if (this.header(at) !== MAP) return -1;
    const inner = this.found[1]!;
    if (!this.keysOf(at, inner)) return UNREAD;
    return inner[key]!;
  }

  /**
   * Records in `out` the value offset of each key of KEYS in the map at `at` (the last one
   * when a key repeats). False when `at` is not a map or the map holds what this reader does
   * not read.
   */
  private keysOf(at: number, out: Int32Array, keys: readonly Buffer[] = KEY_BYTES): boolean {
    out.fill(-1);
    if (this.header(at) !== MAP) return false;
    const entries = this.size;
    let p = this.payload;
    for (let e = 0; e < entries; e++) {
      if (this.header(this.resolve(p)) !== STRING) return false;
      const slot = this.keySlot(this.payload, this.size, keys);
      p = this.skip(p);
      if (p < 0) return false;
      if (slot >= 0) out[slot] = p;
      p = this.skip(p);
      if (p < 0) return false;
    }
    return true;
  }

  private keySlot(start: number, length: number, keys: readonly Buffer[]): number {
    const db = this.db;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      if (key.length !== length) continue;
      let i = 0;
      while (i < length && db.u8(start + i) === key[i]) i++;
      if (i === length) return k;
    }
    return -1;
  }

  /** Non-empty text at a value offset, null for anything else (absent, empty, not text). */
  private text(offset: number): string | null | typeof UNREAD {
    if (offset < 0) return null;
    const type = this.header(this.resolve(offset));
    if (type < 0) return UNREAD;
    if (type !== STRING || this.size === 0) return null;
    return this.db.text(this.payload, this.size);
  }

  /** A finite number at a value offset, rounded to four decimals, or null. */
  private number(offset: number): number | null | typeof UNREAD {
    if (offset < 0) return null;
    const type = this.header(this.resolve(offset));
    const db = this.db;
    const p = this.payload;
    const size = this.size;
    let v: number;
    switch (type) {
      case DOUBLE:
        v = db.double(p);
        break;
      case FLOAT:
        v = db.float(p);
        break;
      case UINT16:
      case UINT32:
        if (size > 4) return UNREAD;
        v = db.uint(p, size);
        break;
      case INT32:
        v = size < 4 ? db.uint(p, size) : db.int32(p);
        break;
      default:
        return type < 0 ? UNREAD : null;
    }
    return Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : null;
  }

  /** A map, an array or bytes: what JavaScript would see as an object. */
  private isObject(offset: number): boolean {
    if (offset < 0) return false;
    const type = this.header(this.resolve(offset));
    return type === MAP || type === ARRAY || type === BYTES;
  }

  /** The value a value offset stands for, following pointers. */
  private resolve(offset: number): number {
    let at = offset;
    for (let hops = 0; this.db.u8(at) >> 5 === POINTER && hops < 8; hops++) at = this.pointerTarget(at);
    return at;
  }

  private pointerTarget(at: number): number {
    const db = this.db;
    const ctrl = db.u8(at);
    const size = (ctrl >> 3) & 3;
    const v = ctrl & 7;
    const p = at + 1;
    switch (size) {
      case 0:
        return this.dataStart + ((v << 8) | db.u8(p));
      case 1:
        return this.dataStart + 2048 + ((v << 16) | db.uint(p, 2));
      case 2:
        return this.dataStart + 526336 + ((v << 24) | db.uint(p, 3));
      default:
        return this.dataStart + db.uint(p, 4);
    }
  }

  /** Reads the control bytes at `at` into size and payload; returns the type (-1: not read here). */
  private header(at: number): number {
    const db = this.db;
    const ctrl = db.u8(at);
    let type = ctrl >> 5;
    let p = at + 1;
    if (type === POINTER) {
      // only after more pointers in a row than any real file has
      return -1;
    }
    if (type === 0) {
      // extended types start at 8
      const extended = db.u8(p);
      type = extended === 0 ? -1 : extended + 7;
      p++;
    }
    let size = ctrl & 0x1f;
    if (size === 29) {
      size = 29 + db.u8(p);
      p++;
    } else if (size === 30) {
      size = 285 + db.uint(p, 2);
      p += 2;
    } else if (size === 31) {
      size = 65821 + db.uint(p, 3);
      p += 3;
    }
    this.size = size;
    this.payload = p;
    // a type this reader leaves alone (container, end marker, unknown) is -1
    return type >= STRING && type <= FLOAT && type !== 12 && type !== 13 ? type : -1;
  }

  /** The offset after the value at `at` (a pointer counts as its own bytes), or -1 for an unknown type. */
  private skip(at: number): number {
    const db = this.db;
    const ctrl = db.u8(at);
    if (ctrl >> 5 === POINTER) return at + 2 + ((ctrl >> 3) & 3);
    const type = this.header(at);
    const size = this.size;
    switch (type) {
      case MAP: {
        let p = this.payload;
        for (let e = 0; e < 2 * size && p >= 0; e++) p = this.skip(p);
        return p;
      }
      case ARRAY: {
        let p = this.payload;
        for (let e = 0; e < size && p >= 0; e++) p = this.skip(p);
        return p;
      }
      case BOOLEAN:
        return this.payload;
      case STRING:
      case DOUBLE:
      case BYTES:
      case UINT16:
      case UINT32:
      case INT32:
      case UINT64:
      case UINT128:
      case FLOAT:
        return this.payload + size;
      default:
        return -1;
    }
  }
}
