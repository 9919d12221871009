import type { SinkResult } from '../../src/core/types.js';
import { round, v2File, v2LargeFile } from './baseline.js';
import type { DataFile, Scenario, ScenarioResult } from './types.js';

/**
 * The detection engine's cost: the same ingest (decode, the default enrichers — every one, as
 * `flowlens ingest` runs them — the null sink) with and without the alerts sink running every
 * built-in rule, in the same run; both build one plan from the same options, so the ratio is the
 * rules' cost alone. And the engine's memory over the 10M-record file. Alerts go to an output
 * that only counts them.
 */
async function ingest(data: DataFile, withAlerts: boolean): Promise<ScenarioResult> {
  const { resolveOptions } = await import('../../src/config/options.js');
  const { buildStages, INGEST_OPTIONS } = await import('../../src/pipeline/build.js');
  const { SharedPipeline } = await import('../../src/pipeline/shared.js');
  const { runToEnd } = await import('../../src/pipeline/once.js');
  const { fileInput } = await import('../../src/sources/files.js');
  const { AlertsSink } = await import('../../src/sinks/alerts/sink.js');
  const { AlertEngine } = await import('../../src/alerts/engine.js');
  const { buildRules, DEFAULT_ALERTS_CONFIG } = await import('../../src/alerts/config.js');
  const options = resolveOptions(INGEST_OPTIONS(), { flags: { to: ['null'] }, env: {} });
  const plan = await buildStages(options, { env: {}, log: () => undefined });
  let alerts = 0;
  const counting = {
    name: 'count',
    async take(events: readonly { kind: string }[]) {
      for (const e of events) if (e.kind === 'fired') alerts++;
    },
    async settle(): Promise<SinkResult> {
      return { delivered: alerts, rejected: 0, failed: 0, errors: [] };
    },
    async close(): Promise<SinkResult> {
      return { delivered: alerts, rejected: 0, failed: 0, errors: [] };
    },
  };
  const sinks = withAlerts
    ? [
        ...plan.sinks,
        new AlertsSink(
          new AlertEngine(buildRules(DEFAULT_ALERTS_CONFIG), DEFAULT_ALERTS_CONFIG),
          [counting],
          plan,
        ),
      ]
    : plan.sinks;
  let peakHeap = 0;
  const started = performance.now();
  const pipeline = SharedPipeline.of({ ...plan, sinks }, () => undefined);
  const report = await runToEnd(pipeline, [fileInput(data.path)], plan.stats, {
    onBatch() {
      const h = process.memoryUsage().heapUsed;
      if (h > peakHeap) peakHeap = h;
    },
  });
  const seconds = (performance.now() - started) / 1000;
  if (!report.ok) throw new Error(`ingest failed: ${JSON.stringify(report.sinks)}`);
  const records = report.stats.records;
  if (records !== data.truth.records)
    throw new Error(`ingested ${records} records, the file has ${data.truth.records}`);
  const extra: Record<string, number | string> = {
    fileMB: round(data.bytes / 1e6),
    peakHeapMB: round(peakHeap / 1e6),
    // the same enrichers with and without the alerts sink: what `flowlens ingest` runs by default
    enrichers: plan.enrichers.map((e) => e.name).join('+'),
  };
  if (withAlerts) {
    const details = report.sinks.find((s) => s.name === 'alerts')?.details ?? {};
    extra.alerts = alerts;
    extra.late = Number(details.late ?? 0);
    extra.dropped = Number(details.dropped ?? 0);
  }
  return { records, seconds, extra };
}

export const alertsIngest: Scenario = {
  name: 'alerts-ingest',
  description: 'ingest of the 1M-record v2 .gz with every enricher to the null sink (alerts baseline)',
  baseline: 'baseline',
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx) {
    return ingest(await ctx.dataFile(v2File(ctx)), false);
  },
};

export const alerts: Scenario = {
  name: 'alerts',
  description: 'the same ingest with the alerts sink running every built-in rule',
  baseline: 'alerts-ingest',
  targets: { minRatio: 0.85, maxRssMb: 600 },
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx) {
    return ingest(await ctx.dataFile(v2File(ctx)), true);
  },
};

export const alertsLarge: Scenario = {
  name: 'alerts-large',
  description: 'ingest of the 10M-record v2 .gz with every built-in rule: memory stays bounded',
  baseline: 'alerts',
  targets: { maxRssMb: 600 },
  optIn: true,
  async prepare(ctx) {
    await ctx.dataFile(v2LargeFile(ctx));
  },
  async run(ctx) {
    return ingest(await ctx.dataFile(v2LargeFile(ctx)), true);
  },
};
