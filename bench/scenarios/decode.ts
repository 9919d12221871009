import { RunStats } from '../../src/core/stats.js';
import type { DecodeOptions, SourceInput } from '../../src/core/types.js';
import { fileInput } from '../../src/sources/files.js';
import { round, v2File, v2LargeFile } from './baseline.js';
import type { BenchContext, DataFile, Scenario, ScenarioResult } from './types.js';

/** gunzip + decode into FlowBatches with the project's decoder; checks the record count. */
export async function decodeFile(data: DataFile): Promise<ScenarioResult> {
  const { decodeInput } = await import('../../src/decode/detect.js');
  const input: SourceInput = fileInput(data.path, data.bytes);
  const stats = new RunStats();
  // As the pipeline decodes when no sink reads the original lines (see DecodeOptions.keepLineText).
  const options: DecodeOptions = { stats, batchSize: 8192, keepLineText: false };
  let rows = 0;
  let batches = 0;
  const started = performance.now();
  for await (const batch of decodeInput(input, options)) {
    rows += batch.length;
    batches++;
  }
  const seconds = (performance.now() - started) / 1000;
  checkDecoded(data, rows, stats);
  return { records: data.truth.records, seconds, extra: { rows, batches, fileMB: round(data.bytes / 1e6) } };
}

/** Every well-formed record of the file was decoded, and every malformed one counted. */
export function checkDecoded(data: DataFile, rows: number, stats: RunStats): void {
  const t = data.truth;
  if (rows !== t.records - t.malformed) {
    throw new Error(`decoded ${rows} rows; the file has ${t.records - t.malformed} well-formed records`);
  }
  if (stats.malformed !== t.malformed)
    throw new Error(`decoder counted ${stats.malformed} malformed, truth ${t.malformed}`);
}

export const decode: Scenario = {
  name: 'decode',
  description: 'gunzip + parse the 1M-record v2 file into FlowBatches (decodeInput)',
  baseline: 'baseline',
  targets: { minRatio: 0.5, maxRssMb: 150 },
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx: BenchContext) {
    return decodeFile(await ctx.dataFile(v2File(ctx)));
  },
};

export const decodeLarge: Scenario = {
  name: 'decode-10m',
  description: 'gunzip + parse the 10M-record v2 file: memory must not grow with input size',
  baseline: 'baseline',
  targets: { minRatio: 0.5, maxRssMb: 150 },
  async prepare(ctx) {
    await ctx.dataFile(v2LargeFile(ctx));
  },
  async run(ctx: BenchContext) {
    return decodeFile(await ctx.dataFile(v2LargeFile(ctx)));
  },
};
