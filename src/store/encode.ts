import { hash } from 'node:crypto';
import type { Column, FlowBatch } from '../batch/flow-batch.js';
import { cellAt } from '../batch/flow-batch.js';
import { findField } from '../fields/catalog.js';
import { ENRICHMENT_TYPES } from './schema.js';

/**
 * A batch turned into the bytes DuckDB's vectors hold, column by column, so that appending is
 * plain memory copies. Built on the main thread and transferred (zero-copy) to the store's
 * worker, which only copies slices into DataChunks: the costly per-value work runs beside
 * DuckDB's, not before it.
 *
 * - INTEGER: int32 per row; BIGINT/TIMESTAMP: int64 per row (two 32-bit words); DOUBLE: float64;
 *   UHUGEINT (uid): 16 bytes per row.
 * - VARCHAR: DuckDB's 16-byte string entries. Strings of up to 12 bytes are inline (length, then
 *   the bytes); longer ones are listed in `long` and assigned by DuckDB's API after the copy.
 * - VARCHAR[]: the lists themselves (rare; filled value by value).
 * - `validity`: one bit per row, set = not NULL, so vector k's mask is bytes [k·256, k·256+256).
 */

export type EncodedType =
  | 'INTEGER'
  | 'BIGINT'
  | 'DOUBLE'
  | 'VARCHAR'
  | 'VARCHAR[]'
  | 'TIMESTAMP'
  | 'UHUGEINT';

export interface EncodedColumn {
  readonly type: EncodedType;
  /** Fixed-width entries (absent for VARCHAR[]). */
  readonly data?: ArrayBuffer;
  readonly validity?: Uint8Array;
  /** VARCHAR: rows whose string is too long to inline, and those strings. */
  readonly longRows?: Int32Array;
  readonly longValues?: readonly string[];
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
export function columnType(name: string, col: Column): EncodedType {
  const field = findField(name);
  if (field?.known) return field.type === 'int32' ? 'INTEGER' : field.type === 'int64' ? 'BIGINT' : 'VARCHAR';
  const known = ENRICHMENT_TYPES[name];
  if (known) return known as EncodedType;
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
  columns.push(['uid', uidColumn(batch, ctx)]);
  columns.push(['position', int64Column(batch.positions, n, 1, 'BIGINT')]);
  columns.push(['ingested_at', int64Column(new Float64Array(n).fill(ctx.ingestedAt), n, 1, 'TIMESTAMP')]);
  return { sourceId: batch.source.id, length: n, columns };
}

/** Every ArrayBuffer of an encoded batch, for postMessage's transfer list. */
export function transferables(b: EncodedBatch): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const [, c] of b.columns) {
    if (c.data) out.push(c.data);
    if (c.validity) out.push(c.validity.buffer as ArrayBuffer);
    if (c.longRows) out.push(c.longRows.buffer as ArrayBuffer);
  }
  return out;
}

function encodeColumn(col: Column, type: EncodedType, n: number): EncodedColumn {
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

/** 16-byte string entries for every row, encoded once per distinct dictionary value. */
function textEntries(col: Column, n: number): Omit<EncodedColumn, 'type'> {
  const out = new Int32Array(4 * n);
  const validity = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
  const longRows: number[] = [];
  const longValues: string[] = [];
  if (col.kind === 'str') {
    const { words, long } = encodeDictionary(col.dict);
    const codes = col.codes;
    for (let i = 0; i < n; i++) {
      const code = codes[i]!;
      if (code === 0) {
        validity[i >> 3]! &= ~(1 << (i & 7));
        continue;
      }
      const text = long[code];
      if (text !== undefined) {
        longRows.push(i);
        longValues.push(text);
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
        longRows.push(i);
        longValues.push(text);
        continue;
      }
      scratch.setUint32(i * 16, utf8.length, true);
      new Uint8Array(out.buffer, i * 16 + 4, INLINE_BYTES).set(utf8);
    }
  }
  return { data: out.buffer, validity, longRows: Int32Array.from(longRows), longValues };
}

function encodeDictionary(dict: readonly string[]): { words: Int32Array; long: (string | undefined)[] } {
  const bytes = new Uint8Array(dict.length * 16);
  const long: (string | undefined)[] = new Array(dict.length);
  const view = new DataView(bytes.buffer);
  for (let code = 1; code < dict.length; code++) {
    const text = dict[code]!;
    const utf8 = Buffer.from(text, 'utf8');
    if (utf8.length > INLINE_BYTES) {
      long[code] = text;
      continue;
    }
    view.setUint32(code * 16, utf8.length, true);
    bytes.set(utf8, code * 16 + 4);
  }
  return { words: new Int32Array(bytes.buffer), long };
}
