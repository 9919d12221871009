import { hash } from 'node:crypto';
import type { Column, FlowBatch } from '../batch/flow-batch.js';
import { cellAt } from '../batch/flow-batch.js';
import { findField } from '../fields/catalog.js';
import { ADDR_PAIR_COLUMN, ENRICHMENT_TYPES, type SqlType } from './schema.js';

/**
 * A batch turned into the bytes DuckDB's vectors hold, column by column, so that appending is
 * plain memory copies. Built in the store's worker thread, beside DuckDB's appends (the main
 * thread is busy decoding), then copied into DataChunks slice by slice.
 *
 * - INTEGER: int32 per row; BIGINT/TIMESTAMP: int64 per row (two 32-bit words); DOUBLE: float64;
 *   UHUGEINT (uid): 16 bytes per row.
 * - VARCHAR: DuckDB's 16-byte string entries. Strings of up to 12 bytes are inline (length, then
 *   the bytes); longer ones (interface ids…) are listed by row with a code into one buffer of
 *   their distinct UTF-8 values, so each is handed to DuckDB once per vector, not once per row.
 * - UBIGINT `addr_pair_v4`: both addresses of a record as one number when both are IPv4 in
 *   canonical dotted form (see `ipv4Pair`), the key top-talkers groups by.
 * - VARCHAR[]: the lists themselves (rare; filled value by value).
 * - `validity`: one bit per row, set = not NULL, so vector k's mask is bytes [k·256, k·256+256).
 */

export interface EncodedColumn {
  readonly type: SqlType;
  /** Fixed-width entries (absent for VARCHAR[]). */
  readonly data?: ArrayBuffer;
  readonly validity?: Uint8Array;
  /** VARCHAR: rows whose string is too long to inline, in order, and each one's code. */
  readonly longRows?: Int32Array;
  readonly longCodes?: Int32Array;
  /** The distinct long strings as UTF-8: code k is bytes longOffsets[k]..longOffsets[k+1]. */
  readonly longData?: Uint8Array;
  readonly longOffsets?: Int32Array;
  /** VARCHAR[]: the lists. */
  readonly lists?: readonly (readonly string[] | null)[];
}

export interface EncodedBatch {
  readonly sourceId: string;
  readonly length: number;
  readonly columns: ReadonlyArray<readonly [string, EncodedColumn]>;
}

export interface EncodeContext {
  /** High 64 bits of every uid of the input, as two 32-bit words (high, low). */
  readonly uidHigh: readonly [number, number];
  /** Microseconds since the epoch. */
  readonly ingestedAt: number;
}

const INLINE_BYTES = 12;
const TWO_32 = 4294967296;

/** The type a column gets in `flow_records`: the catalog's, flowlens's for known enrichments, else by kind. */
export function columnType(name: string, col: Column): SqlType {
  const field = findField(name);
  if (field?.known) return field.type === 'int32' ? 'INTEGER' : field.type === 'int64' ? 'BIGINT' : 'VARCHAR';
  const known = ENRICHMENT_TYPES[name];
  if (known) return known;
  return col.kind === 'list' ? 'VARCHAR[]' : col.kind === 'num' ? 'DOUBLE' : 'VARCHAR';
}

export function encodeBatch(batch: FlowBatch, ctx: EncodeContext): EncodedBatch {
  const n = batch.length;
  const columns: Array<readonly [string, EncodedColumn]> = [];
  const add = (name: string, col: Column): void => {
    // The store derives record_uid from `uid`.
    if (name === 'record_uid') return;
    columns.push([name, encodeColumn(col, columnType(name, col), n)]);
  };
  for (let i = 0; i < batch.fields.length; i++) add(batch.fields[i]!.column, batch.columns[i]!);
  for (const [name, col] of batch.extra) add(name, col);
  const start = batch.column('start');
  const end = batch.column('end');
  if (start?.kind === 'num') columns.push(['start_time', int64Column(start.values, n, 1e6, 'TIMESTAMP')]);
  if (end?.kind === 'num') columns.push(['end_time', int64Column(end.values, n, 1e6, 'TIMESTAMP')]);
  const pair = pairColumn(batch.column('srcaddr'), batch.column('dstaddr'), n);
  if (pair) columns.push([ADDR_PAIR_COLUMN, pair]);
  columns.push(['uid', uidColumn(batch, ctx)]);
  columns.push(['position', int64Column(batch.positions, n, 1, 'BIGINT')]);
  columns.push(['ingested_at', int64Column(new Float64Array(n).fill(ctx.ingestedAt), n, 1, 'TIMESTAMP')]);
  return { sourceId: batch.source.id, length: n, columns };
}

function encodeColumn(col: Column, type: SqlType, n: number): EncodedColumn {
  switch (type) {
    case 'INTEGER':
      return int32Column(numbers(col, n), n);
    case 'BIGINT':
    case 'TIMESTAMP':
      return int64Column(numbers(col, n), n, 1, type);
    case 'DOUBLE': {
      const values = numbers(col, n);
      return { type, data: values.slice(0, n).buffer, validity: validityOf(values, n) };
    }
    case 'VARCHAR[]':
      return { type, lists: col.kind === 'list' ? col.values.slice(0, n) : new Array(n).fill(null) };
    default:
      return { type: 'VARCHAR', ...textEntries(col, n) };
  }
}

function numbers(col: Column, n: number): Float64Array {
  if (col.kind === 'num') return col.values;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = cellAt(col, i);
    const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    out[i] = Number.isFinite(x) ? x : Number.NaN;
  }
  return out;
}

function validityOf(values: Float64Array, n: number): Uint8Array {
  const mask = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
  for (let i = 0; i < n; i++) if (Number.isNaN(values[i]!)) mask[i >> 3]! &= ~(1 << (i & 7));
  return mask;
}

function int32Column(values: Float64Array, n: number): EncodedColumn {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    out[i] = Number.isNaN(v) ? 0 : v;
  }
  return { type: 'INTEGER', data: out.buffer, validity: validityOf(values, n) };
}

/** Whole numbers below 2^53 (times `scale`) as little-endian int64, from two 32-bit halves. */
function int64Column(
  values: Float64Array,
  n: number,
  scale: number,
  type: 'BIGINT' | 'TIMESTAMP',
): EncodedColumn {
  const out = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    let v = values[i]!;
    if (Number.isNaN(v)) continue;
    v = Math.trunc(v * scale);
    const hi = Math.floor(v / TWO_32);
    out[2 * i] = v - hi * TWO_32;
    out[2 * i + 1] = hi;
  }
  return { type, data: out.buffer, validity: validityOf(values, n) };
}

function uidColumn(batch: FlowBatch, ctx: EncodeContext): EncodedColumn {
  const n = batch.length;
  const out = new Int32Array(4 * n);
  const [hi, lo] = ctx.uidHigh;
  const ids = batch.recordIds;
  for (let i = 0; i < n; i++) {
    const id = ids?.[i];
    let low0: number;
    let low1: number;
    if (id) {
      const h = hash('sha1', id, 'buffer');
      low1 = h.readUInt32BE(0);
      low0 = h.readUInt32BE(4);
    } else {
      const p = Math.max(0, Math.trunc(batch.positions[i]!));
      low1 = Math.floor(p / TWO_32);
      low0 = p - low1 * TWO_32;
    }
    // duckdb_uhugeint: the lower 64 bits first, then the upper; each little-endian.
    out[4 * i] = low0;
    out[4 * i + 1] = low1;
    out[4 * i + 2] = lo;
    out[4 * i + 3] = hi;
  }
  return { type: 'UHUGEINT', data: out.buffer };
}

/** Distinct long strings of a column, numbered in first-seen order, packed as UTF-8. */
class LongStrings {
  readonly rows: number[] = [];
  readonly codes: number[] = [];
  private readonly chunks: Buffer[] = [];
  private readonly offsets: number[] = [0];
  private bytes = 0;

  /** Adds a string (already UTF-8) and returns its code. */
  add(utf8: Buffer): number {
    this.chunks.push(utf8);
    this.bytes += utf8.length;
    this.offsets.push(this.bytes);
    return this.offsets.length - 2;
  }

  use(row: number, code: number): void {
    this.rows.push(row);
    this.codes.push(code);
  }

  columnParts(): Pick<EncodedColumn, 'longRows' | 'longCodes' | 'longData' | 'longOffsets'> {
    // Copied into buffers of their own: Buffer.concat may return a view of Node's shared pool.
    const data = new Uint8Array(this.bytes);
    let at = 0;
    for (const c of this.chunks) {
      data.set(c, at);
      at += c.length;
    }
    return {
      longRows: Int32Array.from(this.rows),
      longCodes: Int32Array.from(this.codes),
      longData: data,
      longOffsets: Int32Array.from(this.offsets),
    };
  }
}

/** 16-byte string entries for every row, encoded once per distinct dictionary value. */
function textEntries(col: Column, n: number): Omit<EncodedColumn, 'type'> {
  const out = new Int32Array(4 * n);
  const validity = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
  const long = new LongStrings();
  if (col.kind === 'str') {
    const { words, longCode } = encodeDictionary(col.dict, long);
    const codes = col.codes;
    for (let i = 0; i < n; i++) {
      const code = codes[i]!;
      if (code === 0) {
        validity[i >> 3]! &= ~(1 << (i & 7));
        continue;
      }
      const lc = longCode[code]!;
      if (lc >= 0) {
        long.use(i, lc);
        continue;
      }
      const w = 4 * code;
      const o = 4 * i;
      out[o] = words[w]!;
      out[o + 1] = words[w + 1]!;
      out[o + 2] = words[w + 2]!;
      out[o + 3] = words[w + 3]!;
    }
  } else {
    const scratch = new DataView(out.buffer);
    for (let i = 0; i < n; i++) {
      const v = cellAt(col, i);
      if (v === null) {
        validity[i >> 3]! &= ~(1 << (i & 7));
        continue;
      }
      const text = Array.isArray(v) ? v.join(',') : String(v);
      const utf8 = Buffer.from(text, 'utf8');
      if (utf8.length > INLINE_BYTES) {
        long.use(i, long.add(utf8));
        continue;
      }
      scratch.setUint32(i * 16, utf8.length, true);
      new Uint8Array(out.buffer, i * 16 + 4, INLINE_BYTES).set(utf8);
    }
  }
  return { data: out.buffer, validity, ...long.columnParts() };
}

/** Inline entries per dictionary code, and for long values their code in `long` (else -1). */
function encodeDictionary(
  dict: readonly string[],
  long: LongStrings,
): { words: Int32Array; longCode: Int32Array } {
  const bytes = new Uint8Array(dict.length * 16);
  const longCode = new Int32Array(dict.length).fill(-1);
  const view = new DataView(bytes.buffer);
  for (let code = 1; code < dict.length; code++) {
    const utf8 = Buffer.from(dict[code]!, 'utf8');
    if (utf8.length > INLINE_BYTES) {
      longCode[code] = long.add(utf8);
      continue;
    }
    view.setUint32(code * 16, utf8.length, true);
    bytes.set(utf8, code * 16 + 4);
  }
  return { words: new Int32Array(bytes.buffer), longCode };
}

/**
 * `addr_pair_v4` for every row: source address in the high 32 bits, destination in the low,
 * NULL unless both are canonical dotted IPv4. Parsed once per dictionary value.
 */
function pairColumn(src: Column | undefined, dst: Column | undefined, n: number): EncodedColumn | undefined {
  if (src?.kind !== 'str' || dst?.kind !== 'str') return undefined;
  const srcInt = dictionaryIpv4(src.dict);
  const dstInt = dictionaryIpv4(dst.dict);
  const out = new Int32Array(2 * n);
  const validity = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
  const sc = src.codes;
  const dc = dst.codes;
  for (let i = 0; i < n; i++) {
    const a = srcInt[sc[i]!]!;
    const b = dstInt[dc[i]!]!;
    if (a < 0 || b < 0) {
      validity[i >> 3]! &= ~(1 << (i & 7));
      continue;
    }
    // Little-endian uint64: the low word (destination) first.
    out[2 * i] = b | 0;
    out[2 * i + 1] = a | 0;
  }
  return { type: 'UBIGINT', data: out.buffer, validity };
}

/** Each dictionary value as an IPv4 number, or -1 (NULL, IPv6, anything not canonical). */
function dictionaryIpv4(dict: readonly string[]): Float64Array {
  const out = new Float64Array(dict.length).fill(-1);
  for (let code = 1; code < dict.length; code++) out[code] = ipv4Number(dict[code]!);
  return out;
}

/**
 * A canonical dotted IPv4 address (four decimal octets 0–255, no leading zeros) as a number,
 * else -1. Only canonical text qualifies, so the number turns back into exactly the same text.
 */
export function ipv4Number(text: string): number {
  const len = text.length;
  if (len < 7 || len > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || octet > 255) return -1;
      value = value * 256 + octet;
      dots++;
      octet = 0;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57) return -1;
    if (digits > 0 && octet === 0) return -1; // leading zero
    octet = octet * 10 + (c - 48);
    if (++digits > 3) return -1;
  }
  return dots === 4 ? value : -1;
}
