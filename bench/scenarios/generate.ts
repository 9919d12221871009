import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSample } from '../../src/generate/index.js';
import { round } from './baseline.js';
import type { Scenario } from './types.js';

/** The generator itself: it feeds every other scenario, so its speed matters at 10M records. */
export const generate: Scenario = {
  name: 'generate',
  description: 'flowlens generate: write the 1M-record v2 file, gzipped (the data every scenario uses)',
  baseline: 'baseline',
  async run(ctx) {
    const path = join(await ctx.scratchDir(), 'generated.log.gz');
    const started = performance.now();
    const truth = await writeSample(path, { records: ctx.records, version: '2', seed: 1 });
    const seconds = (performance.now() - started) / 1000;
    if (truth.records !== ctx.records)
      throw new Error(`generated ${truth.records} records, asked ${ctx.records}`);
    const { size } = await stat(path);
    return { records: truth.records, seconds, extra: { fileMB: round(size / 1e6) } };
  },
};
