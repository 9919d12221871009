import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import {
  type AsyncBuffer,
  type Compressors,
  parquetMetadataAsync,
  parquetScan,
  parquetSchema,
} from 'hyparquet';
import { type Column, FlowBatch, StrColumnBuilder } from '../batch/flow-batch.js';
import type { DecodeOptions, SourceInput } from '../core/types.js';
import { type FieldDef, resolveField } from '../fields/catalog.js';
import { domainProblem, numberInDomain, textCheck } from '../fields/domain.js';
import { DecodeError } from './errors.js';

/** Codecs hyparquet leaves to the caller; AWS writes GZIP. */
const COMPRESSORS: Compressors = {
  GZIP: (input) => gunzipSync(input),
  BROTLI: (input) => brotliDecompressSync(input),
};

type Range = (start: number, end: number) => Promise<Uint8Array>;

/**
 * Decodes a Parquet file as AWS writes flow logs (underscore column names, INT32/INT64/STRING,
 * `-` or null for missing), one row group at a time, in batches of `batchSize` rows.
 * Needs random access: a file is read by range; a stream is first copied to a temporary file.
 */
export async function* decodeParquet(
  input: SourceInput,
  stream: AsyncIterable<Buffer>,
  options: DecodeOptions,
): AsyncGenerator<FlowBatch> {
  const origin = input.ref.id;
  if (input.readRange && input.size !== undefined) {
    // The peeked stream is not needed: close it.
    await stream[Symbol.asyncIterator]().return?.();
    yield* decodeRandomAccess(input.readRange.bind(input), input.size, input, options);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'flowlens-parquet-'));
  const path = join(dir, 'input.parquet');
  try {
    await pipeline(stream, createWriteStream(path));
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const read: Range = async (start, end) => {
        const out = Buffer.allocUnsafe(end - start);
        const { bytesRead } = await fh.read(out, 0, end - start, start);
        return out.subarray(0, bytesRead);
      };
      yield* decodeRandomAccess(read, size, input, options);
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError(`${origin}: Parquet: ${(err as Error).message}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function* decodeRandomAccess(
  read: Range,
  size: number,
  input: SourceInput,
  options: DecodeOptions,
): AsyncGenerator<FlowBatch> {
  const origin = input.ref.id;
  const stats = options.stats;
  const batchSize = options.batchSize ?? 8192;
  const file: AsyncBuffer = {
    byteLength: size,
    slice: async (start, end) => {
      const b = await read(start, end ?? size);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
    },
  };
  let scan: Awaited<ReturnType<typeof parquetScan>>;
  let columnNames: string[];
  try {
    const metadata = await parquetMetadataAsync(file);
    columnNames = parquetSchema(metadata).children.map((c) => c.element.name);
    scan = await parquetScan({ file, metadata, compressors: COMPRESSORS });
  } catch (err) {
    throw new DecodeError(`${origin}: not a readable Parquet file (${(err as Error).message})`);
  }
  const fields: FieldDef[] = columnNames.map((name) => resolveField(name));
  for (const f of fields) {
    if (!f.known) stats.warn(`${origin}: unknown Parquet column "${f.column}" kept as text`);
  }
  const statusIndex = fields.findIndex((f) => f.column === 'log_status');
  for (const range of scan.ranges) {
    let data: unknown[][];
    try {
      data = [];
      for (const name of columnNames) {
        data.push(
          toArray(await scan.readColumn({ column: name, rowStart: range.rowStart, rowEnd: range.rowEnd })),
        );
      }
    } catch (err) {
      throw new DecodeError(
        `${origin}: Parquet rows ${range.rowStart}-${range.rowEnd} cannot be read (${(err as Error).message})`,
      );
    }
    const rows = range.rowEnd - range.rowStart;
    for (let at = 0; at < rows; at += batchSize) {
      const n = Math.min(batchSize, rows - at);
      const bad: (string | undefined)[] = [];
      let columns: Column[] = fields.map((f, c) =>
        toColumn(f, data[c]!, at, n, origin, stats.warn.bind(stats), bad),
      );
      let positions = new Float64Array(n);
      for (let i = 0; i < n; i++) positions[i] = range.rowStart + at + i + 1;
      if (bad.length > 0) {
        // rows with a value outside its field's domain are malformed, as a text line would be
        const keep: number[] = [];
        for (let i = 0; i < n; i++) {
          const why = bad[i];
          if (why === undefined) keep.push(i);
          else {
            const sample = data.map((col) => String(col[at + i] ?? '-')).join(' ');
            stats.addMalformed({
              source: origin,
              line: positions[i]!,
              message: `row: ${why}`,
              sample: sample.slice(0, 160),
            });
          }
        }
        columns = columns.map((col) => keepRows(col, keep));
        positions = Float64Array.from(keep, (i) => positions[i]!);
      }
      const kept = positions.length;
      stats.records += kept;
      if (statusIndex >= 0) {
        const col = columns[statusIndex]!;
        for (let i = 0; i < kept; i++) {
          const v = col.kind === 'str' && col.codes[i] !== 0 ? col.dict[col.codes[i]!] : null;
          if (v === 'NODATA') stats.nodata++;
          else if (v === 'SKIPDATA') stats.skipdata++;
        }
      }
      if (kept > 0) yield new FlowBatch(fields, columns, kept, input.ref, positions);
    }
  }
}

function toArray(a: ArrayLike<unknown>): unknown[] {
  return Array.isArray(a) ? a : Array.from(a as ArrayLike<unknown>);
}

/** Only the rows `keep` of a column (its dictionary stays). */
function keepRows(col: Column, keep: readonly number[]): Column {
  if (col.kind === 'num') return { kind: 'num', values: Float64Array.from(keep, (i) => col.values[i]!) };
  if (col.kind === 'str')
    return { kind: 'str', codes: Uint32Array.from(keep, (i) => col.codes[i]!), dict: col.dict };
  return col;
}

/**
 * A column of rows [at, at + n); a value outside the field's domain leaves its row's reason in
 * `bad` (the first one per row).
 */
function toColumn(
  field: FieldDef,
  values: unknown[],
  at: number,
  n: number,
  origin: string,
  warn: (m: string) => void,
  bad: (string | undefined)[],
): Column {
  if (field.type === 'string') {
    const b = new StrColumnBuilder(n);
    const check = textCheck(field);
    const verdicts = new Map<string, boolean>();
    for (let i = 0; i < n; i++) {
      const v = values[at + i];
      const text = v === null || v === undefined || v === '-' ? null : typeof v === 'string' ? v : String(v);
      if (text !== null && check) {
        let ok = verdicts.get(text);
        if (ok === undefined) {
          ok = check(text);
          verdicts.set(text, ok);
        }
        if (!ok) bad[i] ??= domainProblem(field, text);
      }
      b.set(i, text);
    }
    return b.build(n);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[at + i];
    let x = Number.NaN;
    if (typeof v === 'number') x = v;
    else if (typeof v === 'bigint') x = Number(v);
    else if (typeof v === 'string' && /^\d+$/.test(v)) x = Number(v);
    if (!Number.isNaN(x)) {
      const inDomain = x >= 0 && Number.isInteger(x) ? numberInDomain(field, x) : Number.NaN;
      if (Number.isNaN(inDomain)) bad[i] ??= domainProblem(field, String(v));
      out[i] = inDomain;
    } else {
      if (v !== null && v !== undefined && v !== '-') {
        warn(`${origin}: Parquet column ${field.column} holds a non-numeric value; read as null`);
      }
      out[i] = Number.NaN;
    }
  }
  return { kind: 'num', values: out };
}
