import type { Column } from '../batch/flow-batch.js';
import type { EncodedColumn } from './encode.js';

/**
 * `community_id` stored as numbers. A Community ID v1 is `1:` and the base64 of a 20-byte SHA-1
 * digest, nearly unique per flow: as text it was the costliest column for DuckDB's appender
 * (hashing, statistics and dictionary analysis of a million distinct strings). `flow_records`
 * keeps the digest as `community_id_hi` (UHUGEINT, bytes 0–15, big-endian) and
 * `community_id_lo` (UINTEGER, bytes 16–19), and the `flows` view rebuilds the text.
 *
 * A value that is not a canonical v1 id (another tool's, a custom enricher's) cannot be rebuilt
 * from a digest: it goes to the text column `community_id`, and `flows` shows that text where
 * it is set (the column is also what stores written before this layout hold).
 */

export const CID_COLUMN = 'community_id';
export const CID_HI = 'community_id_hi';
export const CID_LO = 'community_id_lo';

/**
 * SQL rebuilding the text from the two stored numbers (NULL when they are). `hex` drops leading
 * zeros; `lpad` restores them but costs more than the rest of the expression, so it only runs
 * for the one value in sixteen that has a leading zero digit (0.4 → 0.3 CPU-seconds per 1M records).
 */
export function communityIdSql(hi: string, lo: string): string {
  const hiHex = `CASE WHEN ${hi} >= CAST(1 AS UHUGEINT) << 124 THEN hex(${hi}) ELSE lpad(hex(${hi}), 32, '0') END`;
  const loHex = `CASE WHEN ${lo} >= 268435456 THEN hex(${lo}) ELSE lpad(hex(${lo}), 8, '0') END`;
  return `'1:' || to_base64(unhex(${hiHex} || ${loHex}))`;
}

/** SQL for the two numbers from a text value (the staged path); NULL when it is not canonical. */
export function communityIdPartsSql(text: string): { hi: string; lo: string } {
  const hex = `hex(from_base64(substr(${text}, 3)))`;
  const ok = `regexp_full_match(${text}, '${CANONICAL_RE}')`;
  return {
    // DuckDB reads hexadecimal text into integers of up to 64 bits: the high part in two halves.
    hi: `CASE WHEN ${ok} THEN (CAST(CAST(('0x' || substr(${hex}, 1, 16)) AS UBIGINT) AS UHUGEINT) << 64) | CAST(('0x' || substr(${hex}, 17, 16)) AS UBIGINT) END`,
    lo: `CASE WHEN ${ok} THEN CAST(('0x' || substr(${hex}, 33, 8)) AS UINTEGER) END`,
  };
}

/** A canonical id: 27 base64 characters, the last one with its two low bits clear, and `=`. */
const CANONICAL_RE = '1:[A-Za-z0-9+/]{26}[AEIMQUYcgkosw048]=';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const SIXTETS = new Int8Array(128).fill(-1);
for (let k = 0; k < 64; k++) SIXTETS[ALPHABET.charCodeAt(k)] = k;
const ID_LENGTH = 30;

/**
 * Decodes a canonical id into five big-endian 32-bit words written at `out[at..at+5)`;
 * false (nothing meaningful written) when `text` is anything else.
 */
export function decodeCommunityId(text: string, out: Uint32Array, at: number): boolean {
  if (text.length !== ID_LENGTH || text.charCodeAt(0) !== 49 || text.charCodeAt(1) !== 58) return false;
  if (text.charCodeAt(29) !== 61) return false;
  // 27 sixtets = 162 bits: the digest's 160, then 2 bits of padding that must be 0. Bytes are
  // gathered into big-endian words (acc never holds more than 13 bits).
  let acc = 0;
  let bits = 0;
  let bytes = 0;
  let word = 0;
  for (let i = 2; i < 29; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? SIXTETS[c]! : -1;
    if (v < 0) return false;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      word = (word << 8) | (acc >>> bits);
      acc &= (1 << bits) - 1;
      if (++bytes % 4 === 0) {
        out[at + bytes / 4 - 1] = word >>> 0;
        word = 0;
      }
    }
  }
  return bits === 2 && acc === 0 && bytes === 20;
}

/**
 * The community_id column of a batch as the two number columns, decoded once per dictionary
 * value; rows whose value is not canonical are listed in `text` (their own column), else
 * `text` is undefined.
 */
export function encodeCommunityId(
  col: Column,
  n: number,
  textColumn: (col: Column) => EncodedColumn,
): { hi: EncodedColumn; lo: EncodedColumn; text: EncodedColumn | undefined } | undefined {
  if (col.kind !== 'str') return undefined;
  const dict = col.dict;
  // Per dictionary value: five words, or flagged as not canonical. The enricher's own columns
  // come with their digests; others are decoded.
  const digests = col.digests;
  const words = digests && digests.length >= dict.length * 5 ? digests : new Uint32Array(dict.length * 5);
  const canonical = new Uint8Array(dict.length);
  let odd = false;
  if (words === digests) canonical.fill(1, 1);
  else {
    for (let d = 1; d < dict.length; d++) {
      if (decodeCommunityId(dict[d]!, words, 5 * d)) canonical[d] = 1;
      else odd = true;
    }
  }
  const hi = new Uint32Array(4 * n);
  const lo = new Uint32Array(n);
  const validity = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
  const codes = col.codes;
  let textCodes: Uint32Array | undefined;
  for (let i = 0; i < n; i++) {
    const d = codes[i]!;
    if (canonical[d] === 0) {
      validity[i >> 3]! &= ~(1 << (i & 7));
      if (d !== 0) {
        textCodes ??= new Uint32Array(n);
        textCodes[i] = d;
      }
      continue;
    }
    const w = 5 * d;
    // duckdb_uhugeint: lower 64 bits first, each half little-endian: words 3, 2, 1, 0.
    const o = 4 * i;
    hi[o] = words[w + 3]!;
    hi[o + 1] = words[w + 2]!;
    hi[o + 2] = words[w + 1]!;
    hi[o + 3] = words[w]!;
    lo[i] = words[w + 4]!;
  }
  const text = odd && textCodes ? textColumn({ kind: 'str', codes: textCodes, dict }) : undefined;
  return {
    hi: { type: 'UHUGEINT', data: hi.buffer, validity },
    lo: { type: 'UINTEGER', data: lo.buffer, validity: validity.slice() },
    text,
  };
}
