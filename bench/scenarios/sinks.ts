import { startCountingReceiver } from '../receivers/spawn.js';
import { round, v2File } from './baseline.js';
import type { BenchContext, DataFile, Scenario, ScenarioResult } from './types.js';

/**
 * The network sinks as `flowlens ingest FILE --to <sink>` runs them: the pipeline built from
 * options (the default enrichers unless `--enrich none`), one receiver process on loopback that
 * counts requests and answers 200. Timed from the first read to the last acknowledgement; the
 * pipeline's start-up (enricher tables) is reported as buildMs.
 */
async function pipelineRun(
  data: DataFile,
  sink: 'otlp' | 'http' | 'elasticsearch',
  enrich: readonly string[] | undefined,
): Promise<ScenarioResult> {
  const { resolveOptions } = await import('../../src/config/options.js');
  const { INGEST_OPTIONS } = await import('../../src/pipeline/build.js');
  const { SharedPipeline } = await import('../../src/pipeline/shared.js');
  const { runToEnd } = await import('../../src/pipeline/once.js');
  const { RunStats } = await import('../../src/core/stats.js');
  const { fileInput } = await import('../../src/sources/files.js');
  const receiver = await startCountingReceiver();
  try {
    const target: Record<string, string> =
      sink === 'otlp'
        ? { 'otlp-endpoint': receiver.url }
        : sink === 'http'
          ? { 'http-url': `${receiver.url}/ingest` }
          : { 'es-url': receiver.url };
    const flags = { to: [sink], ...target, ...(enrich ? { enrich: [...enrich] } : {}), quiet: true };
    const options = resolveOptions(INGEST_OPTIONS(), { flags, env: {} });
    const building = performance.now();
    const stats = new RunStats();
    const pipeline = await SharedPipeline.open(options, { env: {}, log: () => undefined, stats }, {}, 'run');
    const before = await receiver.counts();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const report = await runToEnd(pipeline, [fileInput(data.path)], stats);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const delivered = report.sinks.find((s) => s.name === sink)?.delivered;
    if (!report.ok || delivered !== data.truth.records) {
      throw new Error(`${sink}: ${JSON.stringify({ errors: report.stats.errors, sinks: report.sinks })}`);
    }
    const after = await receiver.counts();
    const records = data.truth.records;
    return {
      records,
      seconds,
      extra: {
        enrich: enrich ? enrich.join(',') : 'default',
        buildMs: Math.round(started - building),
        requests: after.requests - before.requests,
        bytesPerRecord: round((after.bytes - before.bytes) / records),
        cpuUs: round((used.user + used.system) / records, 2),
        receiverCpuUs: round((after.cpuMicros - before.cpuMicros) / records, 2),
      },
    };
  } finally {
    await receiver.stop();
  }
}

const sinkScenario = (
  name: string,
  description: string,
  sink: 'otlp' | 'http' | 'elasticsearch',
  enrich: readonly string[] | undefined,
  extra: Partial<Scenario>,
): Scenario => ({
  name,
  description,
  ...extra,
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx: BenchContext) {
    return pipelineRun(await ctx.dataFile(v2File(ctx)), sink, enrich);
  },
});

/** `flowlens ingest --to otlp` with the default enrichers: compared with `otlp` and with the SDK. */
export const otlpDefault = sinkScenario(
  'otlp-default',
  'as otlp, the default configuration: every default enricher on (flowlens ingest --to otlp)',
  'otlp',
  undefined,
  {
    baseline: 'otlp',
    targets: { minRatio: 0.6, maxRssMb: 400 },
    versus: { scenario: 'otlp-sdk', minRatio: 20 },
  },
);

/** Records/s the HTTP JSON and Elasticsearch sinks must reach with the default enrichers. */
const JSON_SINK_TARGET = 500_000;

export const httpJson = sinkScenario(
  'http-json',
  'decode + HTTP JSON sink (JSON arrays, raw schema) to a receiver process, --enrich none',
  'http',
  ['none'],
  { baseline: 'baseline' },
);

export const httpJsonDefault = sinkScenario(
  'http-json-default',
  'as http-json, the default configuration (every default enricher on)',
  'http',
  undefined,
  { baseline: 'http-json', targets: { minRecordsPerSecond: JSON_SINK_TARGET, maxRssMb: 400 } },
);

export const elasticsearch = sinkScenario(
  'elasticsearch',
  'decode + Elasticsearch _bulk sink to a receiver process, --enrich none',
  'elasticsearch',
  ['none'],
  { baseline: 'baseline' },
);

export const elasticsearchDefault = sinkScenario(
  'elasticsearch-default',
  'as elasticsearch, the default configuration (every default enricher on)',
  'elasticsearch',
  undefined,
  { baseline: 'elasticsearch', targets: { minRecordsPerSecond: JSON_SINK_TARGET, maxRssMb: 400 } },
);
