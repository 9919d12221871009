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
import type { EncodedBatch, EncodedColumn } from './encode.js';
import { StoreError } from './store-error.js';

/**
 * Appends encoded batches (encode.ts) straight into a table through DuckDB's appender, one
 * DataChunk of 2048 rows at a time with every column of the table: fixed-width entries and
 * validity masks are copied in one block per vector, long strings assigned one by one, the
 * source id set as one constant value, columns the batch lacks marked NULL. This is the path
 * of an input the store has not seen; the caller holds the transaction that makes the input
 * all-or-nothing.
 */

const VECTOR_SIZE = 2048;
const MASK_BYTES = VECTOR_SIZE / 8;

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
  'VARCHAR[]': LIST(VARCHAR),
};

/** Bytes per row of each fixed-width type. */
const WIDTH: Record<string, number> = {
  INTEGER: 4,
  BIGINT: 8,
  TIMESTAMP: 8,
  DOUBLE: 8,
  UHUGEINT: 16,
  VARCHAR: 16,
};

export function supportedType(type: string): boolean {
  return type in TYPE_OF;
}

export class DirectAppender {
  private readonly chunk: DuckDBDataChunk;
  private readonly nullMask = new Uint8Array(MASK_BYTES);
  private readonly sourceValue: Value;

  private constructor(
    private readonly appender: DuckDBAppender,
    private readonly columns: readonly TableColumn[],
    sourceId: string,
  ) {
    this.chunk = DuckDBDataChunk.create(columns.map((c) => TYPE_OF[c.type]!));
    this.sourceValue = bindings.create_varchar(sourceId);
  }

  /** `columns`: the table's columns in order. */
  static async open(
    con: DuckDBConnection,
    table: string,
    columns: readonly TableColumn[],
    sourceId: string,
  ): Promise<DirectAppender> {
    return new DirectAppender(await con.createAppender(table), columns, sourceId);
  }

  append(batch: EncodedBatch): void {
    const byName = new Map(batch.columns);
    const sources = this.columns.map((c) => {
      if (c.name === 'source') return 'source' as const;
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
        else if (src === undefined) setValidity(vec, this.nullMask, 0, MASK_BYTES);
        else fill(vec, src, off, n);
      }
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
}

/** Rows off..off+n of an encoded column into a vector. */
function fill(vec: Vector, col: EncodedColumn, off: number, n: number): void {
  if (col.type === 'VARCHAR[]') {
    fillLists(vec, col.lists ?? [], off, n);
    return;
  }
  const width = WIDTH[col.type]!;
  bindings.copy_data_to_vector(vec, 0, col.data!, off * width, n * width);
  if (col.longRows && col.longRows.length > 0) {
    // Rows are in order: find this vector's range.
    const rows = col.longRows;
    let i = lowerBound(rows, off);
    const endRow = off + n;
    for (; i < rows.length && rows[i]! < endRow; i++) {
      bindings.vector_assign_string_element(vec, rows[i]! - off, col.longValues![i]!);
    }
  }
  if (col.validity) {
    const start = off >> 3;
    setValidity(vec, col.validity, start, Math.min(MASK_BYTES, col.validity.length - start));
  }
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
