import { RunStats } from '../../src/core/stats.js';
import type { DecodeOptions, Enricher, SourceInput } from '../../src/core/types.js';
import { fileInput } from '../../src/sources/files.js';
import { round, v2File } from './baseline.js';
import { checkDecoded } from './decode.js';
import type { BenchContext, DataFile, Scenario, ScenarioResult } from './types.js';

/** decode + every enricher (protocol, tcp-flags, network, geo with the embedded DB-IP database, community-id, uid). */
async function decodeAndEnrich(data: DataFile): Promise<ScenarioResult> {
  const { decodeInput } = await import('../../src/decode/detect.js');
  const { buildEnrichers } = await import('../../src/enrich/index.js');
  // Built before the clock starts, as a pipeline builds them before its first input: loading the
  // geo databases and the embedded ASN table is a once-per-process cost, reported as buildMs.
  const building = performance.now();
  const enrichers: Enricher[] = await buildEnrichers({ enrich: ['all'] });
  const buildMs = performance.now() - building;
  const input: SourceInput = fileInput(data.path, data.bytes);
  const stats = new RunStats();
  // As the pipeline decodes when no sink reads the original lines (see DecodeOptions.keepLineText).
  const options: DecodeOptions = { stats, batchSize: 8192, keepLineText: false };
  const perEnricher = new Map<string, number>(enrichers.map((e) => [e.name, 0]));
  let rows = 0;
  let publicLookups = 0;
  const started = performance.now();
  for await (const batch of decodeInput(input, options)) {
    for (const e of enrichers) {
      const t = performance.now();
      e.enrich(batch);
      perEnricher.set(e.name, perEnricher.get(e.name)! + performance.now() - t);
    }
    const country = batch.column('dst_country');
    if (country?.kind === 'str')
      for (let i = 0; i < batch.length; i++) if (country.codes[i] !== 0) publicLookups++;
    rows += batch.length;
  }
  const seconds = (performance.now() - started) / 1000;
  checkDecoded(data, rows, stats);
  const extra: Record<string, number | string> = {
    rows,
    dstWithCountry: publicLookups,
    fileMB: round(data.bytes / 1e6),
    buildMs: Math.round(buildMs),
  };
  for (const [name, ms] of perEnricher) extra[`${name}Ms`] = Math.round(ms);
  return { records: data.truth.records, seconds, extra };
}

export const enrich: Scenario = {
  name: 'enrich',
  description: 'decode + all enrichers (geo on the embedded DB-IP database) of the 1M-record v2 file',
  baseline: 'decode',
  targets: { minRatio: 0.5, maxRssMb: 400 },
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx: BenchContext) {
    return decodeAndEnrich(await ctx.dataFile(v2File(ctx)));
  },
};
