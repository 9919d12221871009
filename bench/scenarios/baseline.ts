import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { SampleSpec } from '../../src/generate/index.js';
import { READ_CHUNK } from '../../src/sources/files.js';
import type { BenchContext, Scenario } from './types.js';

/** The standard data set: v2 text with a header, gzipped, as AWS writes S3 objects. */
export const v2File = (ctx: BenchContext): SampleSpec => ({
  records: ctx.records,
  version: '2',
  gzip: true,
  seed: 1,
});
export const v2LargeFile = (ctx: BenchContext): SampleSpec => ({
  records: ctx.largeRecords,
  version: '2',
  gzip: true,
  seed: 1,
});

const NEWLINE = 0x0a;

/**
 * Counts lines by scanning decompressed buffers for `\n`: the floor any decoder is measured
 * against. It reads and inflates with the same sizes as the decoder (1 MiB reads, 1 MiB zlib
 * output chunks); Node's defaults (64 KiB, 16 KiB) would make it three times slower and every
 * ratio against it look better than it is.
 */
export async function countLines(path: string): Promise<number> {
  let lines = 0;
  const gunzip = createGunzip({ chunkSize: 1024 * 1024 });
  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK }).pipe(gunzip)) {
    const buf = chunk as Buffer;
    let at = buf.indexOf(NEWLINE);
    while (at !== -1) {
      lines++;
      at = buf.indexOf(NEWLINE, at + 1);
    }
  }
  return lines;
}

export const baseline: Scenario = {
  name: 'baseline',
  description: 'gunzip + line split of the 1M-record v2 file (count lines only)',
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx) {
    const data = await ctx.dataFile(v2File(ctx));
    const started = performance.now();
    const lines = await countLines(data.path);
    const seconds = (performance.now() - started) / 1000;
    if (lines !== data.truth.lines)
      throw new Error(`counted ${lines} lines, the file has ${data.truth.lines}`);
    return { records: data.truth.records, seconds, extra: { fileMB: round(data.bytes / 1e6) } };
  },
};

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
