import type { FieldDef } from '../fields/catalog.js';
import { MILLISECONDS_FROM } from '../fields/catalog.js';
import { MAX_TIME_MILLISECONDS } from '../fields/domain.js';
import type { ByteInterner } from './interner.js';
import { HASH_PRIME, HASH_SEED } from './interner.js';

export const ROW_OK = 0;
export const ROW_COUNT = 1;
export const ROW_NUMBER = 2;
export const ROW_JUNK = 3;
/** A value outside its field's domain (see FieldDomain). */
export const ROW_DOMAIN = 4;

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
   * Returns the index of that newline, or minus an error kind (ROW_COUNT, ROW_NUMBER, ROW_JUNK,
   * ROW_DOMAIN) with `errField`/`errAt` set.
   */
  parse(buf: Buffer, p: number, row: number): number;
  errField: number;
  errAt: number;
}

const cache = new Map<string, (seed: number, prime: number) => RowParser>();

/** How the parser reads one field: `s` any text, `c` checked text (its interner's `accept`), `n<max>` a number up to max, `t` a time. */
type FieldRead = string;

/** The parser's reading of each field, from the catalog's domains. */
export function fieldReads(fields: readonly FieldDef[]): FieldRead[] {
  return fields.map((def) => {
    const d = def.domain;
    if (def.type === 'string') return d.kind === 'address' || d.kind === 'word' ? 'c' : 's';
    if (d.kind === 'time') return 't';
    return `n${d.kind === 'number' ? d.max : Number.MAX_SAFE_INTEGER}`;
  });
}

/**
 * The parser for a layout (see `fieldReads`). The source is built from field indexes and
 * catalog constants only (never from input text), once per layout.
 */
export function rowParser(reads: readonly FieldRead[]): RowParser {
  const key = reads.join(',');
  let factory = cache.get(key);
  if (!factory) {
    if (cache.size >= 64) cache.clear(); // headers in the input decide layouts: keep this bounded
    factory = new Function('SEED', 'PRIME', generate(reads)) as (seed: number, prime: number) => RowParser;
    cache.set(key, factory);
  }
  return factory(HASH_SEED, HASH_PRIME);
}

/**
 * A run of at least this many plain text fields is parsed by a loop over the run rather than
 * unrolled: a header of thousands of unknown fields would otherwise make a function V8 takes
 * about a second to compile (AWS's own formats have no such runs, so their code is unchanged).
 */
const LOOP_RUN = 16;

/** Separator after a field: spaces or tabs; a carriage return only before the newline. */
const SEPARATOR = `
      while (c === 32 || c === 9) c = buf[++p];
      if (c === 13) {
        while (c === 13 || c === 32 || c === 9) c = buf[++p];
        if (c !== 10) { self.errAt = p - 1; return -${ROW_JUNK}; }
      } else if (c < 32 && c !== 10) { self.errAt = p; return -${ROW_JUNK}; }`;

function generate(reads: readonly FieldRead[]): string {
  const n = reads.length;
  const decl: string[] = [];
  const bind: string[] = [];
  const body: string[] = [];
  for (let f = 0; f < n; f++) {
    const read = reads[f]!;
    let run = 0;
    while (reads[f + run] === 's') run++;
    if (run >= LOOP_RUN) {
      if (!decl.includes('codesAll')) {
        decl.push('codesAll', 'internersAll');
        bind.push('codesAll = codes; internersAll = interners;');
      }
      body.push(`
      for (let f = ${f}; f < ${f + run}; f++) {
        if (c === 10) { self.errField = f; return -${ROW_COUNT}; }
        ts = p; h = SEED;
        while (c > 32) { h = Math.imul(h ^ c, PRIME); c = buf[++p]; }
        codesAll[f][row] = p - ts === 1 && buf[ts] === 45 ? 0 : internersAll[f].internHashed(buf, ts, p, h);
        ${SEPARATOR}
      }`);
      f += run - 1;
      continue;
    }
    if (read[0] === 'n' || read === 't') {
      // a number past its field's bound is out of its domain; a time from MILLISECONDS_FROM on
      // is in milliseconds and becomes whole seconds (NaN for `-` passes both tests)
      const check =
        read === 't'
          ? `if (v >= ${MILLISECONDS_FROM}) {
        if (v > ${MAX_TIME_MILLISECONDS}) { self.errField = ${f}; self.errAt = ts; return -${ROW_DOMAIN}; }
        v = Math.floor(v / 1000);
      }`
          : `if (v > ${Number(read.slice(1))}) { self.errField = ${f}; self.errAt = ts; return -${ROW_DOMAIN}; }`;
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
      ${check}
      n${f}[row] = v;`);
    } else {
      decl.push(`s${f}`, `i${f}`);
      bind.push(`s${f} = codes[${f}]; i${f} = interners[${f}];`);
      body.push(`
      if (c === 10) { self.errField = ${f}; return -${ROW_COUNT}; }
      ts = p; h = SEED;
      while (c > 32) { h = Math.imul(h ^ c, PRIME); c = buf[++p]; }
      ${
        read === 'c'
          ? `x = p - ts === 1 && buf[ts] === 45 ? 0 : i${f}.internHashed(buf, ts, p, h);
      if (x < 0) { self.errField = ${f}; self.errAt = ts; return -${ROW_DOMAIN}; }
      s${f}[row] = x;`
          : `s${f}[row] = p - ts === 1 && buf[ts] === 45 ? 0 : i${f}.internHashed(buf, ts, p, h);`
      }`);
    }
    body.push(SEPARATOR);
  }
  return `
    'use strict';
    ${decl.length ? `let ${decl.join(', ')};` : ''}
    const self = {
      errField: 0,
      errAt: 0,
      bind(nums, codes, interners) { ${bind.join(' ')} },
      parse(buf, p, row) {
        let c = buf[p], ts = 0, v = 0, bad = false, d = 0, h = 0, x = 0;
        ${body.join('\n')}
        if (c !== 10) { self.errField = ${n}; return -${ROW_COUNT}; }
        return p;
      },
    };
    return self;`;
}
