/**
 * Turns `count` fixed-width ASCII values written back to back in `bytes` into strings, stored at
 * `dict[first..first+count)`. One latin1 conversion per chunk of rows, then a slice per value:
 * far fewer native calls than one conversion per value, and the strings are flat (unlike
 * concatenations, which every consumer would have to flatten). Chunks stay small enough for the
 * young generation, so a batch does not allocate one large string per enricher.
 */
const CHUNK_ROWS = 512;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Two ASCII characters as the 16-bit value that puts `first` then `second` in memory, for
 * writing text two characters per store through a Uint16Array view of the output bytes.
 */
export function charPair(first: number, second: number): number {
  return LITTLE_ENDIAN ? first | (second << 8) : (first << 8) | second;
}

export function fixedWidthStrings(
  bytes: Buffer,
  count: number,
  width: number,
  dict: string[],
  first: number,
): void {
  for (let start = 0; start < count; start += CHUNK_ROWS) {
    const rows = Math.min(CHUNK_ROWS, count - start);
    const text = bytes.toString('latin1', start * width, (start + rows) * width);
    for (let k = 0; k < rows; k++) dict[first + start + k] = text.slice(k * width, (k + 1) * width);
  }
}
