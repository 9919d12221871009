/**
 * Byte strings encoded once per batch (whole KeyValue fields, severity fields, attribute
 * templates), each starting on an 8-byte boundary and padded to a whole number of 8-byte words,
 * so a record copies one with a few 8-byte moves (`copyWords`) instead of a native call or a
 * byte loop. The arena is reused from batch to batch: its size follows the largest batch.
 */
export class WordArena {
  words = new Float64Array(INITIAL_WORDS);
  bytes = Buffer.from(this.words.buffer);
  /** Words in use. */
  private top = 0;

  /** Bytes in use (a multiple of 8). */
  get used(): number {
    return this.top * 8;
  }

  /** A new batch: every earlier offset is void. */
  reset(): void {
    this.top = 0;
  }

  /**
   * Reserves room for n bytes; returns their byte offset (a multiple of 8). `words` and `bytes`
   * may be replaced (the arena grew): read them again after calling this.
   */
  alloc(n: number): number {
    const need = (n + 7) >>> 3;
    if (this.top + need > this.words.length) {
      const next = new Float64Array(Math.max(this.words.length * 2, this.top + need));
      next.set(this.words.subarray(0, this.top));
      this.words = next;
      this.bytes = Buffer.from(next.buffer);
    }
    const at = this.top * 8;
    this.top += need;
    return at;
  }

  /** Gives back the unused tail of the last `alloc` (which reserved from `at`) once `end` is known. */
  trim(at: number, end: number): void {
    this.top = (at >>> 3) + ((end - at + 7) >>> 3);
  }
}

const INITIAL_WORDS = 64 * 1024;

/**
 * Copies n bytes from `words` (starting at byte offset `from`, a multiple of 8) to `dv` at `to`,
 * 8 bytes at a time: it may write up to 7 bytes past to + n, which the caller must have room for
 * and overwrite afterwards. Returns to + n. A double moved from a Float64Array to a DataView keeps
 * its bit pattern (NaN payloads included); the tests check that on this engine.
 */
export function copyWords(dv: DataView, to: number, words: Float64Array, from: number, n: number): number {
  let w = from >>> 3;
  const end = to + n;
  for (let p = to; p < end; p += 8) dv.setFloat64(p, words[w++]!, true);
  return end;
}
