import { RunStats } from '../../src/pipeline/stats.js';
import type { DecodeOptions } from '../../src/pipeline/types.js';
import { fileInput } from '../../src/sources/files.js';
import { type CountingReceiver, startCountingReceiver } from '../receivers/spawn.js';
import { round, v2File, v2LargeFile } from './baseline.js';
import type { BenchContext, DataFile, Scenario, ScenarioResult } from './types.js';

/**
 * decodeInput → otel mapping → OTLP/HTTP protobuf sink (shared delivery queue) → a receiver in
 * another process. Every record must be acknowledged.
 */
async function otlpRun(data: DataFile, gzip: boolean): Promise<ScenarioResult> {
  const { decodeInput } = await import('../../src/decode/detect.js');
  const { otelMapping } = await import('../../src/schema/otel.js');
  const { createOtlpSink } = await import('../../src/sinks/otlp/sink.js');
  const { DEFAULT_OTLP_WORKERS } = await import('../../src/sinks/otlp/options.js');
  const { WorkerPoolSink } = await import('../../src/sinks/otlp/worker-sink.js');
  // the sink's default (what `flowlens ingest --to otlp` does), or BENCH_OTLP_WORKERS to compare
  const workers = process.env.BENCH_OTLP_WORKERS
    ? Number(process.env.BENCH_OTLP_WORKERS)
    : DEFAULT_OTLP_WORKERS;
  const receiver = await startCountingReceiver();
  try {
    const url = new URL(`${receiver.url}/v1/logs`);
    const config = {
      protocol: 'http/protobuf' as const,
      url,
      headers: {},
      gzip,
      timeoutMs: 30_000,
      tls: {},
      resource: new Map<string, string>(),
    };
    const settings = {
      maxInFlight: 4,
      maxRequestBytes: 1024 * 1024,
      retry: { maxAttempts: 5, maxElapsedMs: 60_000, initialDelayMs: 100, maxDelayMs: 2000 },
    };
    const sink =
      workers > 0
        ? new WorkerPoolSink(workers, config, settings, {}, () => undefined)
        : await createOtlpSink(config, settings, otelMapping(), { log: () => undefined });
    const stats = new RunStats();
    const options: DecodeOptions = { stats, batchSize: 8192, keepLineText: true };
    const started = performance.now();
    let rows = 0;
    for await (const batch of decodeInput(fileInput(data.path, data.bytes), options)) {
      rows += batch.length;
      await sink.write(batch);
    }
    const result = await sink.close();
    const seconds = (performance.now() - started) / 1000;
    if (result.delivered !== rows || result.failed || result.rejected) {
      throw new Error(`sent ${rows} records, delivered ${result.delivered}: ${result.errors.join('; ')}`);
    }
    const counts = await receiver.counts();
    return {
      records: rows,
      seconds,
      extra: {
        workers,
        requests: counts.requests,
        MBsent: round(counts.bytes / 1e6),
        bytesPerRecord: round(counts.bytes / rows),
      },
    };
  } finally {
    await receiver.stop();
  }
}

export const otlp: Scenario = {
  name: 'otlp',
  description: 'decode + OTLP/HTTP protobuf (no compression) to a receiver process, 1M v2 records',
  baseline: 'baseline',
  targets: { minRatio: 0.25, maxRssMb: 200 },
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx: BenchContext) {
    return otlpRun(await ctx.dataFile(v2File(ctx)), false);
  },
};

export const otlpGzip: Scenario = {
  name: 'otlp-gzip',
  description: 'as otlp, with gzip-compressed requests',
  baseline: 'baseline',
  targets: { maxRssMb: 200 },
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx: BenchContext) {
    return otlpRun(await ctx.dataFile(v2File(ctx)), true);
  },
};

export const otlpLarge: Scenario = {
  name: 'otlp-10m',
  description: 'as otlp on the 10M-record file: memory must not grow with input size',
  baseline: 'baseline',
  targets: { maxRssMb: 200 },
  optIn: true,
  async prepare(ctx) {
    await ctx.dataFile(v2LargeFile(ctx));
  },
  async run(ctx: BenchContext) {
    return otlpRun(await ctx.dataFile(v2LargeFile(ctx)), false);
  },
};

/** Records the SDK comparison sends: the SDK is slow; its rate is what is compared. */
const sdkRecords = (ctx: BenchContext): number => Math.min(ctx.records, 100_000);

/**
 * The same pipeline built on the official OpenTelemetry JS SDK: each decoded record becomes a
 * logger.emit with the same mapping's attributes, through a BatchLogRecordProcessor (queue
 * large enough to drop nothing) and the OTLP/HTTP protobuf exporter. Compared with `otlp`
 * (ratio = SDK ÷ flowlens; the target is ≤ 0.05, i.e. flowlens ≥ 20×).
 */
export const otlpSdk: Scenario = {
  name: 'otlp-sdk',
  description: 'OpenTelemetry JS SDK (BatchLogRecordProcessor + OTLP proto exporter), first 100k records',
  baseline: 'otlp',
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx: BenchContext) {
    const data = await ctx.dataFile(v2File(ctx));
    const limit = sdkRecords(ctx);
    const { decodeInput } = await import('../../src/decode/detect.js');
    const { otelMapping } = await import('../../src/schema/otel.js');
    const { AttributeCollector } = await import('../../src/sinks/otlp/encoder.js');
    const { LoggerProvider, BatchLogRecordProcessor } = await import('@opentelemetry/sdk-logs');
    const { OTLPLogExporter } = await import('@opentelemetry/exporter-logs-otlp-proto');
    const receiver: CountingReceiver = await startCountingReceiver();
    try {
      const exporter = new OTLPLogExporter({ url: `${receiver.url}/v1/logs` });
      const processor = new BatchLogRecordProcessor({
        exporter,
        maxQueueSize: limit + 1,
        maxExportBatchSize: 2048,
        scheduledDelayMillis: 50,
      });
      const provider = new LoggerProvider({ processors: [processor] });
      const logger = provider.getLogger('flowlens', '0.1.0');
      const mapping = otelMapping();
      const stats = new RunStats();
      let sent = 0;
      const started = performance.now();
      outer: for await (const batch of decodeInput(fileInput(data.path, data.bytes), {
        stats,
        batchSize: 8192,
      })) {
        for (let i = 0; i < batch.length; i++) {
          if (sent === limit) break outer;
          const attrs = new AttributeCollector();
          mapping.attributes(batch, i, attrs);
          const attributes: Record<string, string | number | boolean | string[]> = {};
          for (const [k, a] of attrs.entries) attributes[k] = a.kind === 'strArray' ? [...a.value] : a.value;
          const t = mapping.timeSeconds(batch, i);
          logger.emit({
            ...(t !== null ? { timestamp: t * 1000 } : {}),
            severityNumber: mapping.severityNumber(batch, i),
            severityText: mapping.severityText(batch, i),
            body: mapping.body(batch, i) ?? '',
            attributes,
          });
          sent++;
        }
      }
      await provider.forceFlush();
      const seconds = (performance.now() - started) / 1000;
      await provider.shutdown();
      const counts = await receiver.counts();
      return {
        records: sent,
        seconds,
        extra: { requests: counts.requests, MBsent: round(counts.bytes / 1e6) },
      };
    } finally {
      await receiver.stop();
    }
  },
};
