import type { ByteInterner } from './interner.js';
import { HASH_PRIME, HASH_SEED } from './interner.js';

export const ROW_OK = 0;
export const ROW_COUNT = 1;
export const ROW_NUMBER = 2;
export const ROW_JUNK = 3;

/**
 * Parses one record line into row `row` of the bound columns. Generated per field layout, so
 * the hot loop has no per-field type dispatch and every column is a direct reference.
 */
export interface RowParser {
  /** Points the parser at a batch's columns (parallel to the fields; unused slots are empty). */
  bind(
    nums: readonly Float64Array[],
    codes: readonly Uint32Array[],
    interners: readonly ByteInterner[],
  ): void;
  /**
   * Parses the line whose first non-blank byte is at `p`; the line ends with a newline.
   * Returns the index of that newline, or minus an error kind (ROW_COUNT, ROW_NUMBER, ROW_JUNK)
   * with `errField`/`errAt` set.
   */
  parse(buf: Buffer, p: number, row: number): number;
  errField: number;
  errAt: number;
}

const cache = new Map<string, (seed: number, prime: number) => RowParser>();

/**
 * The parser for a layout: `true` for a number field, `false` for a string field. The source
 * is built from field indexes and constants only (never from input text), once per layout.
 */
export function rowParser(numeric: readonly boolean[]): RowParser {
  const key = numeric.map((n) => (n ? 'n' : 's')).join('');
  let factory = cache.get(key);
  if (!factory) {
    if (cache.size >= 64) cache.clear(); // headers in the input decide layouts: keep this bounded
    factory = new Function('SEED', 'PRIME', generate(numeric)) as (seed: number, prime: number) => RowParser;
    cache.set(key, factory);
  }
  return factory(HASH_SEED, HASH_PRIME);
}

function generate(numeric: readonly boolean[]): string {
  const n = numeric.length;
  const decl: string[] = [];
  const bind: string[] = [];
  const body: string[] = [];
  for (let f = 0; f < n; f++) {
    if (numeric[f]) {
      decl.push(`n${f}`);
      bind.push(`n${f} = nums[${f}];`);
      body.push(`
      if (c === 10) { self.errField = ${f}; return -${ROW_COUNT}; }
      ts = p; v = 0; bad = false;
      while (c > 32) { d = c - 48; if (d < 0 || d > 9) bad = true; v = v * 10 + d; c = buf[++p]; }
      if (bad) {
        if (p - ts === 1 && buf[ts] === 45) v = NaN;
        else { self.errField = ${f}; self.errAt = ts; return -${ROW_NUMBER}; }
      }
      n${f}[row] = v;`);
    } else {
      decl.push(`s${f}`, `i${f}`);
      bind.push(`s${f} = codes[${f}]; i${f} = interners[${f}];`);
      body.push(`
      if (c === 10) { self.errField = ${f}; return -${ROW_COUNT}; }
      ts = p; h = SEED;
      while (c > 32) { h = Math.imul(h ^ c, PRIME); c = buf[++p]; }
      s${f}[row] = p - ts === 1 && buf[ts] === 45 ? 0 : i${f}.internHashed(buf, ts, p, h);`);
    }
    // Separator: spaces or tabs; a carriage return only before the newline.
    body.push(`
      while (c === 32 || c === 9) c = buf[++p];
      if (c === 13) {
        while (c === 13 || c === 32 || c === 9) c = buf[++p];
        if (c !== 10) { self.errAt = p - 1; return -${ROW_JUNK}; }
      } else if (c < 32 && c !== 10) { self.errAt = p; return -${ROW_JUNK}; }`);
  }
  return `
    'use strict';
    ${decl.length ? `let ${decl.join(', ')};` : ''}
    const self = {
      errField: 0,
      errAt: 0,
      bind(nums, codes, interners) { ${bind.join(' ')} },
      parse(buf, p, row) {
        let c = buf[p], ts = 0, v = 0, bad = false, d = 0, h = 0;
        ${body.join('\n')}
        if (c !== 10) { self.errField = ${n}; return -${ROW_COUNT}; }
        return p;
      },
    };
    return self;`;
}
