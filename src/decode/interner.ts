/**
 * Turns byte ranges into per-batch dictionary codes without creating a string for a value
 * whose bytes were seen before. An open-addressing table keyed by a hash of the bytes keeps
 * the bytes (for an exact comparison) and the string made on first sight; it survives
 * across batches, so a repeated ENI id or address costs one hash and one compare.
 * The table is bounded: when it is full it is cleared and starts over.
 */
const MAX_ENTRIES = 16384;
const MAX_ARENA = 1 << 20;

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
  /**
   * The field's domain check, run once per value new to the cache: a value it refuses gets no
   * code (`intern` returns -1) and is not cached.
   */
  accept: ((value: string) => boolean) | null = null;

  // Small at first, grown on demand: a header of thousands of text fields makes an interner each.
  constructor(initialSlots = 16) {
    this.mask = initialSlots - 1;
    this.slots = new Int32Array(initialSlots);
    this.ents = new Int32Array((initialSlots >> 1) * STRIDE);
    this.arena = new Uint8Array(256);
  }

  /** Starts a new batch dictionary; the byte cache is kept. */
  newBatch(): void {
    this.dict = [''];
    this.epoch++;
  }

  /** The dictionary code of bytes [start, end) of buf in the current batch; -1 for a value `accept` refuses. */
  intern(buf: Buffer, start: number, end: number): number {
    return this.internHashed(buf, start, end, hashBytes(buf, start, end));
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
    if (this.accept !== null && !this.accept(value)) return -1;
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

const STRIDE = 8;

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
