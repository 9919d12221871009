/**
 * Turns byte ranges into per-batch dictionary codes without creating a string for a value
 * whose bytes were seen before. Open-addressing tables keep the bytes of each value seen (for
 * an exact comparison) and the string made on first sight; they survive across batches, so a
 * repeated ENI id or address costs a hash and a compare, not a string. Values of up to 16
 * bytes (IPv4 addresses, account ids, enums) are packed into four 32-bit words and compared
 * as such; longer ones by their bytes. Both tables are bounded: a full table starts over.
 */
const MAX_ENTRIES = 16384;
const MAX_ARENA = 1 << 20;
const STRIDE = 8;
/** Values up to this many bytes go to the packed-word table. */
export const SHORT_BYTES = 16;

export class ByteInterner {
  /** The current batch's dictionary: dict[0] is the null placeholder. */
  dict: string[] = [''];
  private epoch = 1;
  private mask: number;
  private slots: Int32Array;
  private count = 0;
  /** Entries, STRIDE ints each (hash, arena start, length, batch code, batch epoch): one cache line. */
  private ents: Int32Array;
  private strings: string[] = [];
  private arena: Uint8Array;
  private arenaPos = 0;

  /** The short-value table: entries are (w0, w1, w2, w3, length, batch code, batch epoch, hash). */
  private sMask = 255;
  private sSlots = new Int32Array(256);
  private sEnts = new Int32Array(128 * STRIDE);
  private sStrings: string[] = [];
  private sCount = 0;

  constructor(initialSlots = 256) {
    this.mask = initialSlots - 1;
    this.slots = new Int32Array(initialSlots);
    this.ents = new Int32Array((initialSlots >> 1) * STRIDE);
    this.arena = new Uint8Array(4096);
  }

  /** Starts a new batch dictionary; the byte cache is kept. */
  newBatch(): void {
    this.dict = [''];
    this.epoch++;
  }

  /** The dictionary code of bytes [start, end) of buf in the current batch. */
  intern(buf: Buffer, start: number, end: number): number {
    if (end - start <= SHORT_BYTES) return this.internShort(buf, start, end);
    return this.internHashed(buf, start, end, hashBytes(buf, start, end));
  }

  /** As `intern`, for a value of at most SHORT_BYTES bytes. */
  internShort(buf: Buffer, start: number, end: number): number {
    const len = end - start;
    let w0 = 0;
    let w1 = 0;
    let w2 = 0;
    let w3 = 0;
    let i = start;
    let lim = Math.min(end, i + 4);
    for (let sh = 0; i < lim; i++, sh += 8) w0 |= buf[i]! << sh;
    lim = Math.min(end, i + 4);
    for (let sh = 0; i < lim; i++, sh += 8) w1 |= buf[i]! << sh;
    lim = Math.min(end, i + 4);
    for (let sh = 0; i < lim; i++, sh += 8) w2 |= buf[i]! << sh;
    for (let sh = 0; i < end; i++, sh += 8) w3 |= buf[i]! << sh;
    let h = Math.imul(w0 ^ len, 0x9e3779b1);
    h = Math.imul(h ^ w1 ^ (h >>> 15), 0x85ebca77);
    h = Math.imul(h ^ w2 ^ (h >>> 13), 0xc2b2ae3d);
    h = Math.imul(h ^ w3 ^ (h >>> 16), 0x27d4eb2f);
    h ^= h >>> 15;
    const mask = this.sMask;
    const slots = this.sSlots;
    const ents = this.sEnts;
    let slot = h & mask;
    for (;;) {
      const e = slots[slot]!;
      if (e === 0) break;
      const b = (e - 1) * STRIDE;
      if (
        ents[b] === w0 &&
        ents[b + 1] === w1 &&
        ents[b + 2] === w2 &&
        ents[b + 3] === w3 &&
        ents[b + 4] === len
      ) {
        if (ents[b + 6] !== this.epoch) {
          ents[b + 6] = this.epoch;
          ents[b + 5] = this.dict.length;
          this.dict.push(this.sStrings[e - 1]!);
        }
        return ents[b + 5]!;
      }
      slot = (slot + 1) & mask;
    }
    // First sight: make the string once and remember the words.
    const code = this.dict.length;
    const value = decodeBytes(buf, start, end);
    this.dict.push(value);
    if (this.sCount >= MAX_ENTRIES) {
      this.sSlots.fill(0);
      this.sCount = 0;
      this.sStrings = [];
    }
    if (this.sCount + 1 > (this.sMask + 1) >> 1) this.growShort();
    const x = this.sCount++;
    const b = x * STRIDE;
    const ents2 = this.sEnts;
    ents2[b] = w0;
    ents2[b + 1] = w1;
    ents2[b + 2] = w2;
    ents2[b + 3] = w3;
    ents2[b + 4] = len;
    ents2[b + 5] = code;
    ents2[b + 6] = this.epoch;
    ents2[b + 7] = h;
    this.sStrings[x] = value;
    let at = h & this.sMask;
    while (this.sSlots[at] !== 0) at = (at + 1) & this.sMask;
    this.sSlots[at] = x + 1;
    return code;
  }

  private growShort(): void {
    const size = (this.sMask + 1) * 2;
    const ents = new Int32Array((size >> 1) * STRIDE);
    ents.set(this.sEnts);
    this.sEnts = ents;
    this.sMask = size - 1;
    this.sSlots = new Int32Array(size);
    for (let x = 0; x < this.sCount; x++) {
      let at = ents[x * STRIDE + 7]! & this.sMask;
      while (this.sSlots[at] !== 0) at = (at + 1) & this.sMask;
      this.sSlots[at] = x + 1;
    }
  }

  /** As `intern`, with `hashBytes` of the range already computed (the scanner hashes as it goes). */
  internHashed(buf: Buffer, start: number, end: number, h: number): number {
    const len = end - start;
    const mask = this.mask;
    const slots = this.slots;
    const ents = this.ents;
    const arena = this.arena;
    let slot = h & mask;
    for (;;) {
      const e = slots[slot]!;
      if (e === 0) break;
      const b = (e - 1) * STRIDE;
      if (ents[b] === h && ents[b + 2] === len) {
        const a = ents[b + 1]!;
        let i = 0;
        while (i < len && arena[a + i] === buf[start + i]) i++;
        if (i === len) {
          if (ents[b + 4] !== this.epoch) {
            ents[b + 4] = this.epoch;
            ents[b + 3] = this.dict.length;
            this.dict.push(this.strings[e - 1]!);
          }
          return ents[b + 3]!;
        }
      }
      slot = (slot + 1) & mask;
    }
    return this.insert(buf, start, end, h);
  }

  private insert(buf: Buffer, start: number, end: number, h: number): number {
    const len = end - start;
    const value = decodeBytes(buf, start, end);
    const code = this.dict.length;
    this.dict.push(value);
    if (len > 1024) return code; // rare long values are not worth caching
    if (this.count >= MAX_ENTRIES || this.arenaPos + len > MAX_ARENA) this.clear();
    if (this.count + 1 > (this.mask + 1) >> 1) this.grow();
    if (this.arenaPos + len > this.arena.length) {
      const bigger = new Uint8Array(
        Math.min(MAX_ARENA, Math.max(this.arena.length * 2, this.arenaPos + len)),
      );
      bigger.set(this.arena.subarray(0, this.arenaPos));
      this.arena = bigger;
    }
    const x = this.count++;
    const a = this.arenaPos;
    for (let i = 0; i < len; i++) this.arena[a + i] = buf[start + i]!;
    this.arenaPos += len;
    const b = x * STRIDE;
    this.ents[b] = h;
    this.ents[b + 1] = a;
    this.ents[b + 2] = len;
    this.ents[b + 3] = code;
    this.ents[b + 4] = this.epoch;
    this.strings[x] = value;
    let slot = h & this.mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    this.slots[slot] = x + 1;
    return code;
  }

  private clear(): void {
    this.slots.fill(0);
    this.count = 0;
    this.arenaPos = 0;
    this.strings = [];
  }

  private grow(): void {
    const size = (this.mask + 1) * 2;
    const ents = new Int32Array((size >> 1) * STRIDE);
    ents.set(this.ents);
    this.ents = ents;
    this.mask = size - 1;
    this.slots = new Int32Array(size);
    for (let x = 0; x < this.count; x++) {
      let slot = ents[x * STRIDE]! & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = x + 1;
    }
  }
}

export const HASH_SEED = 0x811c9dc5;
export const HASH_PRIME = 0x01000193;

/** FNV-1a of a byte range; the text scanner computes the same value inline. */
export function hashBytes(buf: Buffer, start: number, end: number): number {
  let h = HASH_SEED;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, HASH_PRIME);
  return h;
}

/** Bytes to a string: latin1 is exact and fastest for ASCII, UTF-8 otherwise. */
export function decodeBytes(buf: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return buf.toString('utf8', start, end);
  return buf.toString('latin1', start, end);
}
