/**
 * The flow-log generator's programmatic API (`flowlens generate` is a thin front over it).
 *
 *   const gen = generateFlowLogs({ records: 5000, version: '5', seed: 7 });
 *   for await (const chunk of gen.chunks()) …      // bytes, in order
 *   gen.truth                                       // complete once the chunks are consumed
 *
 *   const truth = await writeSample('/tmp/x.log.gz', { records: 1000 });   // .gz → gzip
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { FieldDef } from '../fields/catalog.js';
import { cloudwatchChunks } from './cloudwatch.js';
import { parquetChunks } from './parquet.js';
import { GeneratorRun, settingsOf } from './run.js';
import { textChunks } from './text.js';
import type { GenerateOptions, GroundTruth } from './types.js';

export { fieldsForVersion, generateFields, versionValue } from './fieldsets.js';
export { DEFAULT_RECORDS, DEFAULT_START_TIME, GenerateError } from './run.js';
export type {
  ActionTotals,
  GenerateOptions,
  GenerateOutput,
  GenerateVersion,
  GroundTruth,
  SampleSpec,
} from './types.js';
export { GENERATE_VERSIONS } from './types.js';

export interface GeneratedFlowLogs {
  /** The record fields, in output order. */
  readonly fields: readonly FieldDef[];
  /** Counted while the output is produced: complete once `chunks()` / `writeTo` has finished. */
  readonly truth: GroundTruth;
  /** The output bytes (gzip-compressed when `gzip`), produced lazily. Iterate once. */
  chunks(): AsyncIterable<Uint8Array>;
  /** The uncompressed output as a synchronous iterable of buffers. Iterate once. */
  rawChunks(): Iterable<Uint8Array>;
  /** Writes the output to a stream, honouring backpressure; does not end the stream. */
  writeTo(stream: Writable): Promise<GroundTruth>;
}

/** Sets up a generator run. Options are validated here (a GenerateError names the bad one). */
export function generateFlowLogs(options: GenerateOptions = {}): GeneratedFlowLogs {
  const run = new GeneratorRun(settingsOf(options));
  const { output, gzip } = run.settings;
  let started = false;
  const raw = (): Iterable<Uint8Array> => {
    if (started) throw new Error('generateFlowLogs: the output can be read only once');
    started = true;
    if (output === 'cloudwatch') return cloudwatchChunks(run);
    if (output === 'parquet') return parquetChunks(run);
    return textChunks(run);
  };
  const chunks = (): AsyncIterable<Uint8Array> => {
    const source = raw();
    return gzip ? gzipped(source) : Readable.from(source, { objectMode: false });
  };
  return {
    fields: run.settings.fields,
    truth: run.truth,
    rawChunks: raw,
    chunks,
    async writeTo(stream: Writable): Promise<GroundTruth> {
      for await (const chunk of chunks()) {
        if (!stream.write(chunk)) await drainOrClose(stream);
      }
      return run.truth;
    },
  };
}

async function drainOrClose(stream: Writable): Promise<void> {
  await Promise.race([
    once(stream, 'drain'),
    once(stream, 'close').then(() => {
      throw new Error('output closed before the generator finished');
    }),
  ]);
}

async function* gzipped(source: Iterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const gz = createGzip();
  const input = Readable.from(source, { objectMode: false });
  const piping = pipeline(input, gz).catch((err: unknown) => gz.destroy(err as Error));
  for await (const chunk of gz) yield chunk as Uint8Array;
  await piping;
}

/**
 * Writes a generated file and returns its ground truth. A path ending in `.gz` is gzip-compressed
 * and one ending in `.parquet` is Parquet, unless `options` say otherwise.
 */
export async function writeSample(path: string, options: GenerateOptions = {}): Promise<GroundTruth> {
  const parquet = options.output === undefined && path.endsWith('.parquet');
  const gen = generateFlowLogs({
    ...options,
    ...(parquet ? { output: 'parquet' as const } : {}),
    gzip: options.gzip ?? path.endsWith('.gz'),
  });
  await pipeline(Readable.from(gen.chunks(), { objectMode: false }), createWriteStream(path));
  return gen.truth;
}

/** The whole output in memory with its truth: for small test inputs only. */
export async function generateBuffer(
  options: GenerateOptions = {},
): Promise<{ bytes: Buffer; truth: GroundTruth }> {
  const gen = generateFlowLogs(options);
  const parts: Uint8Array[] = [];
  for await (const chunk of gen.chunks()) parts.push(chunk);
  return { bytes: Buffer.concat(parts), truth: gen.truth };
}

/** Text or CloudWatch output as lines (no trailing empty line), synchronously: for small test inputs. */
export function sampleLines(options: GenerateOptions = {}): { lines: string[]; truth: GroundTruth } {
  const gen = generateFlowLogs({ ...options, gzip: false });
  if (options.output === 'parquet')
    throw new Error('sampleLines: Parquet output is binary; use generateBuffer');
  const parts: Uint8Array[] = [];
  for (const chunk of gen.rawChunks()) parts.push(chunk);
  const encoding = options.output === 'cloudwatch' ? 'utf8' : 'latin1';
  const text = Buffer.concat(parts).toString(encoding);
  const lines = text.length === 0 ? [] : text.slice(0, -1).split('\n');
  return { lines, truth: gen.truth };
}
