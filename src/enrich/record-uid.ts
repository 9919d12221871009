import { hash } from 'node:crypto';
import type { FlowBatch } from '../batch/flow-batch.js';
import type { Enricher } from '../core/types.js';
import { charPair, fixedWidthStrings } from './fixed-strings.js';

/**
 * `record_uid`: 32 lower-case hex digits (128 bits), the same for the same record on every run.
 * The first 16 digits are the first 64 bits of SHA-1 of the source id (file path, s3://bucket/key,
 * cwl:group/stream…), hashed once per batch. The last 16 digits are the record's position in its
 * source (line number or event index) in hex, or, where the source has native record ids
 * (CloudWatch Logs event ids), the first 64 bits of SHA-1 of that id.
 */
export function recordUid(sourceId: string, position: number, recordId?: string): string {
  return sourcePrefix(sourceId) + (recordId ? idPart(recordId) : positionPart(position));
}

function sourcePrefix(sourceId: string): string {
  return hash('sha1', sourceId, 'hex').slice(0, 16);
}

function idPart(recordId: string): string {
  return hash('sha1', recordId, 'hex').slice(0, 16);
}

let hex4: string[] | undefined;

/** 4-digit hex of every 16-bit value, built on first use: two lookups per uid instead of toString+padStart. */
function hexTable(): string[] {
  hex4 ??= Array.from({ length: 65536 }, (_, i) => i.toString(16).padStart(4, '0'));
  return hex4;
}

/** The low 32 bits of a position as 8 hex digits. */
function low8(p: number): string {
  const h = hexTable();
  return h[p >>> 16]! + h[p & 0xffff]!;
}

function positionPart(position: number): string {
  // Positions are whole numbers below 2^53: split into two 32-bit halves for an exact hex form.
  const p = Math.max(0, Math.trunc(position));
  const hi = Math.floor(p / 0x1_0000_0000);
  const lo = p - hi * 0x1_0000_0000;
  return low8(hi) + low8(lo);
}

const HEX = '0123456789abcdef';

/** Every byte as its two hex digits, ready to store as one 16-bit element. */
const HEX_PAIRS = Uint16Array.from({ length: 256 }, (_, b) =>
  charPair(HEX.charCodeAt(b >>> 4), HEX.charCodeAt(b & 15)),
);

/** Length of a uid: 32 hex digits. */
const UID_LENGTH = 32;

/** Writes `x` (taken as an unsigned 32-bit number, as `low8` does) as 8 hex digits from `out[at]`. */
function hex8To(out: Uint16Array, at: number, x: number): void {
  const v = x >>> 0;
  out[at] = HEX_PAIRS[v >>> 24]!;
  out[at + 1] = HEX_PAIRS[(v >>> 16) & 255]!;
  out[at + 2] = HEX_PAIRS[(v >>> 8) & 255]!;
  out[at + 3] = HEX_PAIRS[v & 255]!;
}

/** Writes the 16 characters of an ASCII string from `out[at]`, two per element. */
function ascii16To(out: Uint16Array, at: number, s: string): void {
  for (let k = 0; k < 8; k++) out[at + k] = charPair(s.charCodeAt(2 * k), s.charCodeAt(2 * k + 1));
}

/**
 * Every 16-bit value as its four hex digits, stored as the 32-bit word that puts them in memory
 * in order: a whole position half is two lookups and two stores. Built on first use (256 KB).
 */
let hexWords: Uint32Array | undefined;

function hexWordTable(): Uint32Array {
  if (!hexWords) {
    const bytes = new Uint8Array(4 * 65536);
    for (let v = 0; v < 65536; v++) {
      bytes[4 * v] = HEX.charCodeAt(v >>> 12);
      bytes[4 * v + 1] = HEX.charCodeAt((v >>> 8) & 15);
      bytes[4 * v + 2] = HEX.charCodeAt((v >>> 4) & 15);
      bytes[4 * v + 3] = HEX.charCodeAt(v & 15);
    }
    hexWords = new Uint32Array(bytes.buffer);
  }
  return hexWords;
}

/** Words per uid (32 characters). */
const UID_WORDS = UID_LENGTH / 4;

export function recordUidEnricher(): Enricher {
  // The uids of a batch are written back to back into one buffer (reused across batches), four
  // characters per store (two in the rarer cases), then turned into strings a chunk at a time.
  let words = new Uint32Array(0);
  let bytes = Buffer.allocUnsafe(0);
  const head = new Uint16Array(8);
  const headWords = new Uint32Array(head.buffer);
  return {
    name: 'uid',
    columns: ['record_uid'],
    enrich(batch: FlowBatch): void {
      const n = batch.length;
      if (words.length < n * UID_WORDS) {
        words = new Uint32Array(n * UID_WORDS);
        bytes = Buffer.from(words.buffer);
      }
      ascii16To(head, 0, sourcePrefix(batch.source.id));
      writeUids(words, headWords, batch.positions, batch.recordIds, n);
      // Every uid is distinct, so the dictionary is simply row order: code i + 1.
      const dict: string[] = new Array(n + 1);
      dict[0] = '';
      fixedWidthStrings(bytes, n, UID_LENGTH, dict, 1);
      // the uids' bytes go with the column (a copy: the buffer is reused for the next batch)
      const fixedText = { bytes: new Uint8Array(bytes.subarray(0, n * UID_LENGTH)), width: UID_LENGTH };
      batch.extra.set('record_uid', { kind: 'str', codes: rowOrderCodes(n), dict, fixedText });
    },
  };
}

/**
 * The uids of rows 0..n as text, UID_WORDS words each, from `words[0]` on; `head` is the
 * source's half as four words. A function of its own, so that the JIT optimises this loop
 * (while the first batch runs through it) apart from the rest of the enricher.
 */
function writeUids(
  words: Uint32Array,
  head: Uint32Array,
  positions: Float64Array,
  ids: readonly string[] | undefined,
  n: number,
): void {
  const pairs = new Uint16Array(words.buffer, words.byteOffset, 2 * words.length);
  const hex = hexWordTable();
  const zeros = hex[0]!;
  const h0 = head[0]!;
  const h1 = head[1]!;
  const h2 = head[2]!;
  const h3 = head[3]!;
  for (let i = 0; i < n; i++) {
    const at = i * UID_WORDS;
    words[at] = h0;
    words[at + 1] = h1;
    words[at + 2] = h2;
    words[at + 3] = h3;
    const id = ids?.[i];
    const p = positions[i]!;
    if (!id && p >= 0 && p < 0x1_0000_0000 && p === Math.floor(p)) {
      // The common case, a whole position below 2^32: the high half is zeros.
      words[at + 4] = zeros;
      words[at + 5] = zeros;
      words[at + 6] = hex[p >>> 16]!;
      words[at + 7] = hex[p & 0xffff]!;
    } else if (id) {
      ascii16To(pairs, 2 * at + 8, idPart(id));
    } else {
      // Whole numbers below 2^53 split exactly into two 32-bit halves (see positionPart).
      const q = Math.max(0, Math.trunc(p));
      const hi = Math.floor(q / 0x1_0000_0000);
      hex8To(pairs, 2 * at + 8, hi);
      hex8To(pairs, 2 * at + 12, q - hi * 0x1_0000_0000);
    }
  }
}

/** Codes 1..n in row order. */
function rowOrderCodes(n: number): Uint32Array {
  const codes = new Uint32Array(n);
  for (let i = 0; i < n; i++) codes[i] = i + 1;
  return codes;
}
