import { gzipSync } from 'node:zlib';
import type { SchemaElement } from 'hyparquet';
import { ByteWriter, type ColumnSource, ParquetWriter } from 'hyparquet-writer';
import { FIELDS, type FieldDef } from '../fields/catalog.js';
import type { GeneratorRun } from './run.js';

type Cell = string | number | bigint | null;

/** The Parquet schema AWS writes: snake_case column names, INT32/INT64/UTF-8 string, all optional. */
export function parquetSchema(fields: readonly FieldDef[]): SchemaElement[] {
  return [
    { name: 'schema', num_children: fields.length },
    ...fields.map((f): SchemaElement => {
      if (f.type === 'int32') return { name: f.column, type: 'INT32', repetition_type: 'OPTIONAL' };
      if (f.type === 'int64') return { name: f.column, type: 'INT64', repetition_type: 'OPTIONAL' };
      return { name: f.column, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' };
    }),
  ];
}

/**
 * AWS's Parquet layout, written one row group at a time so memory holds one group's columns;
 * pages are GZIP-compressed as AWS's are (readers need a GZIP decompressor, e.g. node:zlib).
 */
export function* parquetChunks(run: GeneratorRun): Generator<Uint8Array> {
  const { fields, rowGroupSize } = run.settings;
  const slots = fields.map((f) => (f.known ? FIELDS.findIndex((c) => c.name === f.name) : -1));
  const writer = new ByteWriter();
  const parquet = new ParquetWriter({
    writer,
    schema: parquetSchema(fields),
    codec: 'GZIP',
    compressors: { GZIP: (input: Uint8Array) => gzipSync(input) },
    createdBy: 'flowlens generate',
  });
  const columns: Cell[][] = fields.map(
    () => new Array<Cell>(Math.min(rowGroupSize, run.settings.records || 1)),
  );

  /** Bytes written since the last take; the writer's buffer is reused from the start. */
  const take = (): Uint8Array => {
    const bytes = new Uint8Array(writer.buffer.slice(0, writer.index));
    writer.index = 0;
    return bytes;
  };

  const flush = (rows: number): Uint8Array => {
    const columnData: ColumnSource[] = fields.map((f, k) => ({
      name: f.column,
      data: rows === columns[k]!.length ? columns[k]! : columns[k]!.slice(0, rows),
    }));
    void parquet.write({ columnData, rowGroupSize: rows });
    run.truth.rowGroups++;
    return take();
  };

  let rows = 0;
  while (run.nextRecord()) {
    const rec = run.record;
    run.counter.add(rec, false);
    for (let k = 0; k < fields.length; k++) {
      const slot = slots[k]!;
      const f = fields[k]!;
      let cell: Cell = null;
      if (slot >= 0) {
        if (f.type === 'string') cell = rec.str[slot] ?? null;
        else {
          const v = rec.num[slot]!;
          if (!Number.isNaN(v)) cell = f.type === 'int64' ? BigInt(v) : v;
        }
      }
      columns[k]![rows] = cell;
    }
    rows++;
    if (rows === columns[0]!.length) {
      yield flush(rows);
      rows = 0;
    }
  }
  run.counter.finish();
  if (rows > 0) yield flush(rows);
  void parquet.finish();
  yield take();
}
