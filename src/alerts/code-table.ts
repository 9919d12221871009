const EMPTY = -1;

/**
 * A hash map from whole numbers in [0, 2^53) to whole numbers ≥ 0, in two typed arrays (open
 * addressing, linear probing). Group keys of two parts are numbers above 2^31; a `Map` boxes
 * each such number on every `get`, one heap object per row and rule, which made the garbage
 * collector the engine's main cost. Measured hot path: the per-row group lookup of every rule.
 */
export class CodeTable {
  private keys: Float64Array;
  private values: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 64) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.keys = new Float64Array(n).fill(EMPTY);
    this.values = new Int32Array(n);
    this.mask = n - 1;
  }

  /** The value of `key`, or -1. */
  get(key: number): number {
    const keys = this.keys;
    let at = hash(key) & this.mask;
    for (;;) {
      const k = keys[at]!;
      if (k === key) return this.values[at]!;
      if (k === EMPTY) return -1;
      at = (at + 1) & this.mask;
    }
  }

  /**
   * The value of `key`; when it has none, `key` gets `value` and the answer is -1. One probe
   * where a `get` missing and a `set` would take two (most keys a scan rule meets are new).
   */
  getOrAdd(key: number, value: number): number {
    if ((this.size + 1) * 2 > this.keys.length) this.rehash(this.keys.length * 2);
    const keys = this.keys;
    let at = hash(key) & this.mask;
    for (;;) {
      const k = keys[at]!;
      if (k === key) return this.values[at]!;
      if (k === EMPTY) {
        keys[at] = key;
        this.values[at] = value;
        this.size++;
        return -1;
      }
      at = (at + 1) & this.mask;
    }
  }

  set(key: number, value: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.rehash(this.keys.length * 2);
    const keys = this.keys;
    let at = hash(key) & this.mask;
    for (;;) {
      const k = keys[at]!;
      if (k === key) {
        this.values[at] = value;
        return;
      }
      if (k === EMPTY) {
        keys[at] = key;
        this.values[at] = value;
        this.size++;
        return;
      }
      at = (at + 1) & this.mask;
    }
  }

  clear(): void {
    this.keys.fill(EMPTY);
    this.size = 0;
  }

  private rehash(n: number): void {
    const keys = this.keys;
    const values = this.values;
    this.keys = new Float64Array(n).fill(EMPTY);
    this.values = new Int32Array(n);
    this.mask = n - 1;
    this.size = 0;
    for (let at = 0; at < keys.length; at++) if (keys[at] !== EMPTY) this.set(keys[at]!, values[at]!);
  }
}

/** A 32-bit mix of both halves of a number below 2^53 (murmur3's finaliser). */
function hash(key: number): number {
  const lo = key >>> 0;
  const hi = (key / 0x1_0000_0000) >>> 0;
  let h = lo ^ Math.imul(hi, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
