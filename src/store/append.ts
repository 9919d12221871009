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
  UBIGINT,
  UHUGEINT,
  UINTEGER,
  USMALLINT,
  UTINYINT,
  VARCHAR,
} from '@duckdb/node-api';
import bindings, { type Value, type Vector } from '@duckdb/node-bindings';
import type { EncodedBatch, EncodedColumn } from './encode.js';
import { SOURCE_CODE_COLUMN } from './schema.js';
import { StoreError } from './store-error.js';

/**
 * Appends encoded batches (encode.ts) straight into a table through DuckDB's appender, one
 * DataChunk of 2048 rows at a time with every column of the table: fixed-width entries and
 * validity masks are copied in one block per vector, the long strings of a vector handed to
 * DuckDB in one piece (see fillLong), the source id set as one constant value, columns the batch
 * lacks marked NULL. This is the path
 * of an input the store has not seen; the caller holds the transaction that makes the input
 * all-or-nothing.
 */

const VECTOR_SIZE = 2048;
const MASK_BYTES = VECTOR_SIZE / 8;
/**
 * Rows after which the appender hands what it has gathered to the table (still inside the
 * input's transaction). Left to itself it gathers far more, in memory DuckDB's limit does not
 * cover: flushing this often took about 100 MB off an ingest's peak RSS at no CPU cost.
 */
const FLUSH_ROWS = 32_768;

export interface TableColumn {
  readonly name: string;
  /** DuckDB type name as information_schema gives it. */
  readonly type: string;
}

const TYPE_OF: Record<string, DuckDBType> = {
  INTEGER,
  BIGINT,
  DOUBLE,
  VARCHAR,
  TIMESTAMP,
  UHUGEINT,
  UBIGINT,
  UINTEGER,
  UTINYINT,
  USMALLINT,
  'VARCHAR[]': LIST(VARCHAR),
};

/** Bytes per row of each fixed-width type. */
const WIDTH: Record<string, number> = {
  INTEGER: 4,
  BIGINT: 8,
  TIMESTAMP: 8,
  DOUBLE: 8,
  UHUGEINT: 16,
  UBIGINT: 8,
  UINTEGER: 4,
  UTINYINT: 1,
  USMALLINT: 2,
  VARCHAR: 16,
};

export function supportedType(type: string): boolean {
  return type in TYPE_OF;
}

export class DirectAppender {
  private readonly chunk: DuckDBDataChunk;
  private readonly nullMask = new Uint8Array(MASK_BYTES);
  private readonly sourceValue: Value;
  private readonly sourceCodeValue: Value | undefined;
  /** Constant columns' values (encode.ts `constant`), made once. */
  private readonly constants = new Map<number, Value>();
  private unflushed = 0;

  private constructor(
    private readonly appender: DuckDBAppender,
    private readonly columns: readonly TableColumn[],
    sourceId: string,
    sourceCode: number | undefined,
  ) {
    this.chunk = DuckDBDataChunk.create(columns.map((c) => TYPE_OF[c.type]!));
    this.sourceValue = bindings.create_varchar(sourceId);
    this.sourceCodeValue = sourceCode === undefined ? undefined : bindings.create_uint32(sourceCode);
  }

  /**
   * `columns`: the table's columns in order. `source` (text) and `source_code` (the input's
   * code in the store's source dictionary) are filled with one constant value per vector.
   */
  static async open(
    con: DuckDBConnection,
    table: string,
    columns: readonly TableColumn[],
    sourceId: string,
    sourceCode?: number,
  ): Promise<DirectAppender> {
    return new DirectAppender(await con.createAppender(table), columns, sourceId, sourceCode);
  }

  append(batch: EncodedBatch): void {
    const byName = new Map(batch.columns);
    const sources = this.columns.map((c) => {
      if (c.name === 'source') return 'source' as const;
      if (c.name === SOURCE_CODE_COLUMN && this.sourceCodeValue) return 'source_code' as const;
      const e = byName.get(c.name);
      if (e && e.type !== c.type) {
        throw new StoreError(`column ${c.name} is ${c.type} in the store but the records carry ${e.type}`);
      }
      return e;
    });
    const raw = this.chunk.chunk;
    for (let off = 0; off < batch.length; off += VECTOR_SIZE) {
      const n = Math.min(VECTOR_SIZE, batch.length - off);
      bindings.data_chunk_reset(raw);
      bindings.data_chunk_set_size(raw, n);
      for (let c = 0; c < sources.length; c++) {
        const vec = bindings.data_chunk_get_vector(raw, c);
        const src = sources[c];
        if (src === 'source') bindings.vector_reference_value(vec, this.sourceValue);
        else if (src === 'source_code') bindings.vector_reference_value(vec, this.sourceCodeValue!);
        else if (src === undefined) setValidity(vec, this.nullMask, 0, MASK_BYTES);
        else if (src.constant !== undefined)
          bindings.vector_reference_value(vec, this.constantValue(src.constant));
        else fill(vec, src, off, n);
      }
      this.appender.appendDataChunk(this.chunk);
    }
    this.unflushed += batch.length;
    if (this.unflushed >= FLUSH_ROWS) {
      this.appender.flushSync();
      this.unflushed = 0;
    }
  }

  /** A constant TIMESTAMP (the only kind encode.ts makes), microseconds since the epoch. */
  private constantValue(micros: number): Value {
    let value = this.constants.get(micros);
    if (!value) {
      value = bindings.create_timestamp({ micros: BigInt(Math.trunc(micros)) });
      this.constants.set(micros, value);
    }
    return value;
  }

  close(): void {
    try {
      this.appender.flushSync();
    } finally {
      this.appender.closeSync();
    }
  }
}

/** Rows off..off+n of an encoded column into a vector. */
function fill(vec: Vector, col: EncodedColumn, off: number, n: number): void {
  if (col.type === 'VARCHAR[]') {
    fillLists(vec, col.lists ?? [], off, n);
    return;
  }
  const width = WIDTH[col.type]!;
  const rows = col.longRows;
  if (rows && rows.length > 0 && rows[rows.length - 1]! >= off) fillLong(vec, col, off, n);
  else bindings.copy_data_to_vector(vec, 0, col.data!, off * width, n * width);
  if (col.validity) {
    const start = off >> 3;
    setValidity(vec, col.validity, start, Math.min(MASK_BYTES, col.validity.length - start));
  }
}

const TWO_32 = 4294967296;

/**
 * A VARCHAR vector with long strings. Their entries already hold length and prefix (encode.ts);
 * what they lack is a pointer to bytes DuckDB owns. The span of the column's long-string
 * buffer these rows use is handed to DuckDB as one string (copied once into the vector's
 * heap); its entry gives the address of that copy, and every long row points at its own
 * bytes inside it. One call into DuckDB per vector, whatever the number of long strings.
 */
function fillLong(vec: Vector, col: EncodedColumn, off: number, n: number): void {
  const rows = col.longRows!;
  const codes = col.longCodes!;
  const offsets = col.longOffsets!;
  const end = off + n;
  const from = lowerBound(rows, off);
  let to = from;
  let spanStart = Number.POSITIVE_INFINITY;
  let spanEnd = 0;
  for (; to < rows.length && rows[to]! < end; to++) {
    const code = codes[to]!;
    if (offsets[code]! < spanStart) spanStart = offsets[code]!;
    if (offsets[code + 1]! > spanEnd) spanEnd = offsets[code + 1]!;
  }
  if (to === from) {
    // No long string in these rows (they come later in the batch).
    bindings.copy_data_to_vector(vec, 0, col.data!, off * 16, n * 16);
    return;
  }
  const carrier = rows[from]! - off;
  bindings.vector_assign_string_element_len(vec, carrier, col.longData!.subarray(spanStart, spanEnd));
  const assigned = bindings.vector_get_data(vec, (carrier + 1) * 16);
  const view = new DataView(assigned.buffer, assigned.byteOffset, assigned.byteLength);
  const baseLow = view.getUint32(carrier * 16 + 8, true);
  const baseHigh = view.getUint32(carrier * 16 + 12, true);
  const entries = new Int32Array(col.data!, off * 16, n * 4).slice();
  for (let i = from; i < to; i++) {
    const o = 4 * (rows[i]! - off);
    const low = baseLow + (offsets[codes[i]!]! - spanStart);
    entries[o + 2] = low | 0;
    entries[o + 3] = low >= TWO_32 ? baseHigh + 1 : baseHigh;
  }
  bindings.copy_data_to_vector(vec, 0, entries.buffer, 0, n * 16);
}

function fillLists(vec: Vector, values: readonly (readonly string[] | null)[], off: number, n: number): void {
  let total = 0;
  for (let i = 0; i < n; i++) total += values[off + i]?.length ?? 0;
  bindings.list_vector_reserve(vec, total);
  const child = bindings.list_vector_get_child(vec);
  // duckdb_list_entry: uint64 offset, uint64 length.
  const entries = new Int32Array(4 * n);
  const mask = new Uint8Array(MASK_BYTES).fill(0xff);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const l = values[off + i];
    entries[4 * i] = at;
    entries[4 * i + 2] = l?.length ?? 0;
    if (!l) {
      mask[i >> 3]! &= ~(1 << (i & 7));
      continue;
    }
    for (const s of l) bindings.vector_assign_string_element(child, at++, s);
  }
  bindings.list_vector_set_size(vec, total);
  bindings.copy_data_to_vector(vec, 0, entries.buffer, 0, n * 16);
  setValidity(vec, mask, 0, MASK_BYTES);
}

function lowerBound(rows: Int32Array, value: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Writes a validity mask (bit set = valid); the vector's mask is allocated first. */
function setValidity(vec: Vector, mask: Uint8Array, offset: number, bytes: number): void {
  bindings.vector_ensure_validity_writable(vec);
  bindings.copy_data_to_vector_validity(vec, 0, mask.buffer as ArrayBuffer, mask.byteOffset + offset, bytes);
}
