import { hash } from 'node:crypto';
import {
  BIGINT,
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBType,
  INTEGER,
  LIST,
  TIMESTAMP,
  UHUGEINT,
  VARCHAR,
} from '@duckdb/node-api';
import bindings, { type Value, type Vector } from '@duckdb/node-bindings';
import type { Column, FlowBatch } from '../batch/flow-batch.js';
import { cellAt } from '../batch/flow-batch.js';

/**
 * Appends batches straight into `flows` through DuckDB's appender, one DataChunk per 2048 rows
 * with every column of the table: numbers copied from the batch's Float64Arrays into INTEGER /
 * BIGINT / DOUBLE / TIMESTAMP vectors with a validity mask for nulls, strings assigned per row,
 * the source id as one constant value. This is the path of an input the store has not seen;
 * the caller holds the transaction that makes the input all-or-nothing.
 */

const VECTOR_SIZE = 2048;
const MASK_BYTES = VECTOR_SIZE / 8;

export interface TableColumn {
  readonly name: string;
  /** DuckDB type name as information_schema gives it. */
  readonly type: string;
}

/** Per-input constants of the derived columns. */
export interface AppendContext {
  readonly sourceId: string;
  /** High 64 bits of every uid of the input, as two 32-bit words (hi, lo). */
  readonly uidHigh: readonly [number, number];
  /** Microseconds since the epoch. */
  readonly ingestedAt: number;
}

type Filler = (batch: FlowBatch, off: number, n: number, vec: Vector) => void;

const TYPE_OF: Record<string, DuckDBType> = {
  INTEGER,
  BIGINT,
  DOUBLE,
  VARCHAR,
  TIMESTAMP,
  UHUGEINT,
  'VARCHAR[]': LIST(VARCHAR),
};

export function supportedType(type: string): boolean {
  return type in TYPE_OF;
}

export class DirectAppender {
  private readonly chunk: DuckDBDataChunk;
  private readonly mask = new Uint8Array(MASK_BYTES);
  private readonly nullMask = new Uint8Array(MASK_BYTES);
  private readonly i32 = new Int32Array(VECTOR_SIZE * 4);
  private readonly f64 = new Float64Array(VECTOR_SIZE);
  private readonly sourceValue: Value;

  private constructor(
    private readonly appender: DuckDBAppender,
    private readonly columns: readonly TableColumn[],
    private readonly context: AppendContext,
  ) {
    this.chunk = DuckDBDataChunk.create(columns.map((c) => TYPE_OF[c.type]!));
    this.sourceValue = bindings.create_varchar(context.sourceId);
  }

  /** `columns`: the table's stored columns in order (generated ones left out). */
  static async open(
    con: DuckDBConnection,
    table: string,
    columns: readonly TableColumn[],
    context: AppendContext,
  ): Promise<DirectAppender> {
    const appender = await con.createAppender(table);
    return new DirectAppender(appender, columns, context);
  }

  append(batch: FlowBatch): void {
    const fillers = this.columns.map((c) => this.fillerFor(c, batch));
    const raw = this.chunk.chunk;
    for (let off = 0; off < batch.length; off += VECTOR_SIZE) {
      const n = Math.min(VECTOR_SIZE, batch.length - off);
      bindings.data_chunk_reset(raw);
      bindings.data_chunk_set_size(raw, n);
      for (let c = 0; c < fillers.length; c++)
        fillers[c]!(batch, off, n, bindings.data_chunk_get_vector(raw, c));
      this.appender.appendDataChunk(this.chunk);
    }
  }

  close(): void {
    try {
      this.appender.flushSync();
    } finally {
      this.appender.closeSync();
    }
  }

  private fillerFor(target: TableColumn, batch: FlowBatch): Filler {
    const ctx = this.context;
    switch (target.name) {
      case 'start_time':
      case 'end_time': {
        const col = batch.column(target.name === 'start_time' ? 'start' : 'end');
        return col?.kind === 'num'
          ? (_b, off, n, vec) => this.int64(vec, col.values, off, n, 1e6)
          : this.nulls;
      }
      case 'uid':
        return (b, off, n, vec) => this.uid(vec, b, off, n);
      case 'source':
        return (_b, _off, _n, vec) => bindings.vector_reference_value(vec, this.sourceValue);
      case 'position':
        return (b, off, n, vec) => this.int64(vec, b.positions, off, n, 1);
      case 'ingested_at':
        return (_b, _off, n, vec) => {
          this.f64.fill(ctx.ingestedAt, 0, n);
          this.int64(vec, this.f64, 0, n, 1);
        };
    }
    const col = batch.column(target.name);
    if (!col) return this.nulls;
    switch (target.type) {
      case 'INTEGER':
        return (_b, off, n, vec) => this.int32(vec, numbersOf(col, off, n, this.f64), off, n);
      case 'BIGINT':
      case 'TIMESTAMP':
        return (_b, off, n, vec) => {
          const src = col.kind === 'num' ? col.values : numbersOf(col, off, n, this.f64);
          this.int64(vec, src, col.kind === 'num' ? off : 0, n, 1);
        };
      case 'DOUBLE':
        return (_b, off, n, vec) => {
          const src = col.kind === 'num' ? col.values : numbersOf(col, off, n, this.f64);
          this.double(vec, src, col.kind === 'num' ? off : 0, n);
        };
      case 'VARCHAR':
        if (col.kind === 'str') {
          const encoded = encodeDictionary(col.dict);
          return (_b, off, n, vec) => this.dictText(vec, col.codes, encoded, off, n);
        }
        return (_b, off, n, vec) => this.text(vec, col, off, n);
      case 'VARCHAR[]':
        return col.kind === 'list' ? (_b, off, n, vec) => this.list(vec, col.values, off, n) : this.nulls;
      default:
        return this.nulls;
    }
  }

  private readonly nulls: Filler = (_b, _off, _n, vec) => {
    setValidity(vec, this.nullMask.buffer, 0, MASK_BYTES);
  };

  private validity(vec: Vector, src: Float64Array, off: number, n: number): void {
    const mask = this.mask;
    mask.fill(0xff);
    for (let i = 0; i < n; i++) if (Number.isNaN(src[off + i]!)) mask[i >> 3]! &= ~(1 << (i & 7));
    setValidity(vec, mask.buffer, 0, MASK_BYTES);
  }

  private int32(vec: Vector, src: Float64Array, off: number, n: number): void {
    // `src` is either the batch column (offset `off`) or the scratch array (offset 0).
    const base = src === this.f64 ? 0 : off;
    const out = this.i32;
    for (let i = 0; i < n; i++) {
      const v = src[base + i]!;
      out[i] = Number.isNaN(v) ? 0 : v;
    }
    bindings.copy_data_to_vector(vec, 0, out.buffer, 0, n * 4);
    this.validity(vec, src, base, n);
  }

  /** Whole numbers below 2^53 (times `scale`) as little-endian int64, from two 32-bit halves. */
  private int64(vec: Vector, src: Float64Array, off: number, n: number, scale: number): void {
    const out = this.i32;
    for (let i = 0; i < n; i++) {
      let v = src[off + i]!;
      if (Number.isNaN(v)) v = 0;
      v = Math.trunc(v * scale);
      const hi = Math.floor(v / 4294967296);
      out[2 * i] = v - hi * 4294967296;
      out[2 * i + 1] = hi;
    }
    bindings.copy_data_to_vector(vec, 0, out.buffer, 0, n * 8);
    this.validity(vec, src, off, n);
  }

  private double(vec: Vector, src: Float64Array, off: number, n: number): void {
    bindings.copy_data_to_vector(vec, 0, src.buffer as ArrayBuffer, src.byteOffset + off * 8, n * 8);
    this.validity(vec, src, off, n);
  }

  private uid(vec: Vector, batch: FlowBatch, off: number, n: number): void {
    const out = this.i32;
    const [hi, lo] = this.context.uidHigh;
    const ids = batch.recordIds;
    for (let i = 0; i < n; i++) {
      const id = ids?.[off + i];
      let low0: number;
      let low1: number;
      if (id) {
        [low1, low0] = recordIdWords(id);
      } else {
        const p = Math.max(0, Math.trunc(batch.positions[off + i]!));
        low1 = Math.floor(p / 4294967296);
        low0 = p - low1 * 4294967296;
      }
      // duckdb_uhugeint: lower 64 bits first, then upper; each little-endian.
      out[4 * i] = low0;
      out[4 * i + 1] = low1;
      out[4 * i + 2] = lo;
      out[4 * i + 3] = hi;
    }
    bindings.copy_data_to_vector(vec, 0, out.buffer, 0, n * 16);
  }

  /**
   * Strings of a dictionary column. DuckDB keeps strings of up to 12 bytes inline in the
   * vector's 16-byte entries (length, then the bytes), so those are copied in one block from
   * entries encoded once per dictionary value; longer ones are assigned one by one.
   */
  private dictText(
    vec: Vector,
    codes: Uint32Array,
    encoded: EncodedDictionary,
    off: number,
    n: number,
  ): void {
    const out = this.i32;
    const words = encoded.words;
    const mask = this.mask;
    mask.fill(0xff);
    let longRows = 0;
    for (let i = 0; i < n; i++) {
      const code = codes[off + i]!;
      const o = 4 * i;
      if (code === 0) {
        mask[i >> 3]! &= ~(1 << (i & 7));
        out[o] = 0;
        out[o + 1] = 0;
        out[o + 2] = 0;
        out[o + 3] = 0;
        continue;
      }
      const w = 4 * code;
      out[o] = words[w]!;
      out[o + 1] = words[w + 1]!;
      out[o + 2] = words[w + 2]!;
      out[o + 3] = words[w + 3]!;
      if (encoded.long[code] !== undefined) longRows++;
    }
    bindings.copy_data_to_vector(vec, 0, out.buffer, 0, n * 16);
    if (longRows > 0) {
      for (let i = 0; i < n; i++) {
        const text = encoded.long[codes[off + i]!];
        if (text !== undefined) bindings.vector_assign_string_element(vec, i, text);
      }
    }
    setValidity(vec, mask.buffer, 0, MASK_BYTES);
  }

  private text(vec: Vector, col: Column, off: number, n: number): void {
    const mask = this.mask;
    mask.fill(0xff);
    if (col.kind === 'str') {
      const { codes, dict } = col;
      for (let i = 0; i < n; i++) {
        const code = codes[off + i]!;
        if (code === 0) mask[i >> 3]! &= ~(1 << (i & 7));
        else bindings.vector_assign_string_element(vec, i, dict[code]!);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = cellAt(col, off + i);
        if (v === null) mask[i >> 3]! &= ~(1 << (i & 7));
        else bindings.vector_assign_string_element(vec, i, Array.isArray(v) ? v.join(',') : String(v));
      }
    }
    setValidity(vec, mask.buffer, 0, MASK_BYTES);
  }

  private list(vec: Vector, values: readonly (readonly string[] | null)[], off: number, n: number): void {
    let total = 0;
    for (let i = 0; i < n; i++) total += values[off + i]?.length ?? 0;
    bindings.list_vector_reserve(vec, total);
    const child = bindings.list_vector_get_child(vec);
    const entries = this.i32;
    const mask = this.mask;
    mask.fill(0xff);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const l = values[off + i];
      // duckdb_list_entry: uint64 offset, uint64 length.
      entries[4 * i] = at;
      entries[4 * i + 1] = 0;
      entries[4 * i + 2] = l?.length ?? 0;
      entries[4 * i + 3] = 0;
      if (!l) {
        mask[i >> 3]! &= ~(1 << (i & 7));
        continue;
      }
      for (const s of l) bindings.vector_assign_string_element(child, at++, s);
    }
    bindings.list_vector_set_size(vec, total);
    bindings.copy_data_to_vector(vec, 0, entries.buffer, 0, n * 16);
    setValidity(vec, mask.buffer, 0, MASK_BYTES);
  }
}

interface EncodedDictionary {
  /** 16 bytes (4 words) per code: the inline string entry, or zeros for long strings. */
  readonly words: Int32Array;
  /** Strings longer than 12 bytes, by code. */
  readonly long: (string | undefined)[];
}

const INLINE_BYTES = 12;

function encodeDictionary(dict: readonly string[]): EncodedDictionary {
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

/** Writes a validity mask (bit set = valid); the vector's mask is allocated first. */
function setValidity(vec: Vector, mask: ArrayBuffer, offset: number, bytes: number): void {
  bindings.vector_ensure_validity_writable(vec);
  bindings.copy_data_to_vector_validity(vec, 0, mask, offset, bytes);
}

/** Numbers of a non-number column (parsed text), or the number column itself, for rows off..off+n into `out[0..n)`. */
function numbersOf(col: Column, off: number, n: number, out: Float64Array): Float64Array {
  if (col.kind === 'num') {
    out.set(col.values.subarray(off, off + n));
    return out;
  }
  for (let i = 0; i < n; i++) {
    const v = cellAt(col, off + i);
    const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    out[i] = Number.isFinite(x) ? x : Number.NaN;
  }
  return out;
}

/** The first 64 bits of SHA-1 of a record id, as two 32-bit words (high, low). */
function recordIdWords(id: string): [number, number] {
  const h = hash('sha1', id, 'buffer');
  return [h.readUInt32BE(0), h.readUInt32BE(4)];
}
