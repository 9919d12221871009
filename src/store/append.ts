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
  VARCHAR,
} from '@duckdb/node-api';
import bindings, { type Value, type Vector } from '@duckdb/node-bindings';
import type { EncodedBatch, EncodedColumn } from './encode.js';
import { StoreError } from './store-error.js';

/**
 * Appends encoded batches (encode.ts) straight into a table through DuckDB's appender, one
 * DataChunk of 2048 rows at a time with every column of the table: fixed-width entries and
 * validity masks are copied in one block per vector, long strings assigned once per distinct
 * value and vector (see fillLong), the source id set as one constant value, columns the batch
 * lacks marked NULL. This is the path
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
  UBIGINT,
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
  const rows = col.longRows;
  if (rows && rows.length > 0 && rows[rows.length - 1]! >= off) fillLong(vec, col, off, n);
  else bindings.copy_data_to_vector(vec, 0, col.data!, off * width, n * width);
  if (col.validity) {
    const start = off >> 3;
    setValidity(vec, col.validity, start, Math.min(MASK_BYTES, col.validity.length - start));
  }
}

/** Per code of a column's long strings: the vector row it was first assigned to, or -1. */
let firstRow = new Int32Array(256).fill(-1);

/**
 * A VARCHAR vector with long strings: each distinct long string of the vector is assigned once
 * (DuckDB copies it into the vector's heap); the entries of the other rows holding it are copies
 * of that first entry, pointing at the same bytes. Then every entry goes in with one copy.
 */
function fillLong(vec: Vector, col: EncodedColumn, off: number, n: number): void {
  const rows = col.longRows!;
  const codes = col.longCodes!;
  const data = col.longData!;
  const offsets = col.longOffsets!;
  if (firstRow.length < offsets.length) firstRow = new Int32Array(offsets.length * 2).fill(-1);
  const end = off + n;
  const from = lowerBound(rows, off);
  let to = from;
  const entries = new Int32Array(col.data!, off * 16, n * 4).slice();
  try {
    for (; to < rows.length && rows[to]! < end; to++) {
      const code = codes[to]!;
      if (firstRow[code] !== -1) continue;
      const row = rows[to]! - off;
      firstRow[code] = row;
      bindings.vector_assign_string_element_len(vec, row, data.subarray(offsets[code]!, offsets[code + 1]!));
    }
    // The assigned entries now point into the vector's string heap: read them back to share them.
    const assigned = bindings.vector_get_data(vec, n * 16);
    const current =
      assigned.byteOffset % 4 === 0
        ? new Int32Array(assigned.buffer, assigned.byteOffset, n * 4)
        : new Int32Array(assigned.slice().buffer);
    for (let i = from; i < to; i++) {
      const o = 4 * (rows[i]! - off);
      const f = 4 * firstRow[codes[i]!]!;
      entries[o] = current[f]!;
      entries[o + 1] = current[f + 1]!;
      entries[o + 2] = current[f + 2]!;
      entries[o + 3] = current[f + 3]!;
    }
  } finally {
    for (let i = from; i < rows.length && rows[i]! < end; i++) firstRow[codes[i]!] = -1;
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
