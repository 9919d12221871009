import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { RunStats } from '../../src/core/stats.js';
import type { DecodeOptions, Sink } from '../../src/core/types.js';
import type { DeliverySettings } from '../../src/delivery/options.js';
import type { Outcome } from '../../src/delivery/queue.js';
import type { OtlpConfig } from '../../src/sinks/otlp/config.js';
import type { OtlpTransport } from '../../src/sinks/otlp/transport.js';
import { fileInput } from '../../src/sources/files.js';
import { type CountingReceiver, type ReceiverCounts, startCountingReceiver } from '../receivers/spawn.js';
import { round, v2File, v2LargeFile } from './baseline.js';
import type { BenchContext, DataFile, Scenario, ScenarioResult } from './types.js';

/** The OTLP/HTTP protobuf sink's settings every scenario uses: the defaults of `--to otlp`, 1 MiB requests. */
function sinkSetup(url: string, gzip: boolean): { config: OtlpConfig; settings: DeliverySettings } {
  return {
    config: {
      protocol: 'http/protobuf',
      url: new URL(url),
      headers: {},
      gzip,
      timeoutMs: 30_000,
      tls: {},
      resource: new Map<string, string>(),
    },
    settings: {
      maxInFlight: 4,
      maxRequestBytes: 1024 * 1024,
      retry: { maxAttempts: 5, maxElapsedMs: 60_000, initialDelayMs: 100, maxDelayMs: 2000 },
    },
  };
}

/**
 * decodeInput → otel mapping → OTLP/HTTP protobuf sink (shared delivery queue) → a receiver in
 * another process. Every record must be acknowledged.
 */
async function otlpRun(data: DataFile, gzip: boolean): Promise<ScenarioResult> {
  const { decodeInput } = await import('../../src/decode/detect.js');
  const { otelMapping } = await import('../../src/schema/otel.js');
  const { createOtlpSink } = await import('../../src/sinks/otlp/sink.js');
  const receiver = await startCountingReceiver();
  try {
    const { config, settings } = sinkSetup(`${receiver.url}/v1/logs`, gzip);
    const sink: Sink = await createOtlpSink(config, settings, otelMapping(), { log: () => undefined }, {});
    const stats = new RunStats();
    // as `flowlens ingest --enrich none --to otlp` runs it: the sink transcodes the text lines
    const lineTranscoder = sink.lineTranscoder ? () => sink.lineTranscoder!() : undefined;
    const options: DecodeOptions = {
      stats,
      batchSize: 8192,
      keepLineText: true,
      ...(lineTranscoder ? { lineTranscoder } : {}),
    };
    const receiverBefore = await receiver.counts();
    const cpu = process.cpuUsage();
    const started = performance.now();
    let rows = 0;
    for await (const batch of decodeInput(fileInput(data.path, data.bytes), options)) {
      rows += batch.length;
      await sink.write(batch);
    }
    const result = await sink.close();
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    if (result.delivered !== rows || result.failed || result.rejected) {
      throw new Error(`sent ${rows} records, delivered ${result.delivered}: ${result.errors.join('; ')}`);
    }
    const counts = await receiver.counts();
    return {
      records: rows,
      seconds,
      extra: {
        requests: counts.requests,
        MBsent: round(counts.bytes / 1e6),
        bytesPerRecord: round(counts.bytes / rows),
        // CPU per record: this process (all its threads), and the receiver process
        cpuUs: round((used.user + used.system) / rows, 2),
        receiverCpuUs: round((counts.cpuMicros - receiverBefore.cpuMicros) / rows, 2),
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

/** Records decoded up front by the encoder scenarios (then encoded several times over). */
const predecodedRecords = (ctx: BenchContext): number => Math.min(ctx.records, 250_000);

/** A transport that drops every request (acknowledged at once): the encoder alone is measured. */
class DroppingTransport implements OtlpTransport {
  requests = 0;
  bytes = 0;
  async prepare(body: Uint8Array): Promise<Uint8Array> {
    return body;
  }
  async send(body: Uint8Array, records: number): Promise<Outcome> {
    this.requests++;
    this.bytes += body.byteLength;
    return { delivered: records, rejected: 0 };
  }
  close(): void {}
}

/**
 * The OTLP sink alone on batches decoded beforehand (with their lines, not timed): one warm-up
 * pass, then passes until ctx.records records are encoded. `send` posts to the counting receiver
 * process, otherwise requests are dropped once encoded. `enriched`: the batches went through the
 * default enrichers first (not timed either), as `flowlens ingest --to otlp` writes them. Reports
 * µs per record of wall clock and of this process's CPU (the encoder's thread, plus GC helpers).
 */
async function encoderRun(ctx: BenchContext, send: boolean, enriched = false): Promise<ScenarioResult> {
  const data = await ctx.dataFile(v2File(ctx));
  const { decodeInput } = await import('../../src/decode/detect.js');
  const { otelMapping } = await import('../../src/schema/otel.js');
  const { OtlpSink } = await import('../../src/sinks/otlp/sink.js');
  const { HttpTransport } = await import('../../src/sinks/otlp/transport-http.js');
  const { buildEnrichers } = await import('../../src/enrich/index.js');
  const enrichers = enriched ? await buildEnrichers({}) : [];
  const batches: FlowBatch[] = [];
  let decoded = 0;
  const limit = predecodedRecords(ctx);
  const options: DecodeOptions = { stats: new RunStats(), batchSize: 8192, keepLineText: true };
  for await (const batch of decodeInput(fileInput(data.path, data.bytes), options)) {
    for (const e of enrichers) e.enrich(batch);
    batches.push(batch);
    decoded += batch.length;
    if (decoded >= limit) break;
  }
  const passes = Math.max(1, Math.ceil(ctx.records / decoded));
  const receiver = send ? await startCountingReceiver() : null;
  try {
    const { config, settings } = sinkSetup(`${receiver?.url ?? 'http://127.0.0.1:9'}/v1/logs`, false);
    const pass = async (): Promise<ReceiverCounts> => {
      const dropping = new DroppingTransport();
      const transport = send ? new HttpTransport(config, settings.maxInFlight) : dropping;
      const sink = new OtlpSink(config, settings, otelMapping(), transport, () => undefined);
      for (const batch of batches) await sink.write(batch);
      const result = await sink.close();
      if (result.delivered !== decoded || result.failed || result.rejected) {
        throw new Error(
          `encoded ${decoded} records, delivered ${result.delivered}: ${result.errors.join('; ')}`,
        );
      }
      return { requests: dropping.requests, bytes: dropping.bytes, cpuMicros: 0 };
    };
    await pass(); // warm-up: the JIT, the caches, the receiver's connections
    const before = receiver ? await receiver.counts() : { requests: 0, bytes: 0, cpuMicros: 0 };
    let dropped = { requests: 0, bytes: 0, cpuMicros: 0 };
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let p = 0; p < passes; p++) {
      const r = await pass();
      dropped = { requests: dropped.requests + r.requests, bytes: dropped.bytes + r.bytes, cpuMicros: 0 };
    }
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const after = receiver ? await receiver.counts() : dropped;
    const records = decoded * passes;
    const bytes = after.bytes - before.bytes;
    return {
      records,
      seconds,
      extra: {
        usPerRecord: round((seconds * 1e6) / records, 3),
        cpuUsPerRecord: round((used.user + used.system) / records, 3),
        requests: after.requests - before.requests,
        bytesPerRecord: round(bytes / records),
        ...(receiver ? { receiverCpuUs: round((after.cpuMicros - before.cpuMicros) / records, 2) } : {}),
      },
    };
  } finally {
    await receiver?.stop();
  }
}

export const otlpEncode: Scenario = {
  name: 'otlp-encode',
  description: 'OTLP protobuf encoder alone: pre-decoded v2 batches, requests dropped once encoded',
  baseline: 'otlp',
  optIn: true,
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  run: (ctx) => encoderRun(ctx, false),
};

export const otlpSend: Scenario = {
  name: 'otlp-send',
  description: 'OTLP sink alone: pre-decoded v2 batches, OTLP/HTTP protobuf to a receiver process',
  baseline: 'otlp',
  optIn: true,
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  run: (ctx) => encoderRun(ctx, true),
};

export const otlpEncodeDefault: Scenario = {
  name: 'otlp-encode-default',
  description: 'as otlp-encode, the batches enriched beforehand by every default enricher',
  baseline: 'otlp-encode',
  optIn: true,
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  run: (ctx) => encoderRun(ctx, false, true),
};

export const otlpSendDefault: Scenario = {
  name: 'otlp-send-default',
  description: 'as otlp-send, the batches enriched beforehand by every default enricher',
  baseline: 'otlp-send',
  optIn: true,
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  run: (ctx) => encoderRun(ctx, true, true),
};

/** Keeps a copy of every request body instead of sending it. */
class CapturingTransport implements OtlpTransport {
  readonly bodies: Array<{ body: Uint8Array; records: number }> = [];
  async prepare(body: Uint8Array): Promise<Uint8Array> {
    return body.slice();
  }
  async send(body: Uint8Array, records: number): Promise<Outcome> {
    this.bodies.push({ body, records });
    return { delivered: records, rejected: 0 };
  }
  close(): void {}
}

/**
 * The floor under any OTLP/HTTP sender on this machine: the request bodies of the pre-decoded
 * batches, encoded once beforehand (untimed), posted again and again through the sink's HTTP
 * transport (same connections, same in-flight limit) to the receiver process. What it costs is
 * the HTTP client and the kernel's loopback, in this process and the receiver's.
 */
export const otlpWire: Scenario = {
  name: 'otlp-wire',
  description: 'OTLP/HTTP bodies encoded beforehand, only posted to a receiver process (the sending floor)',
  baseline: 'otlp',
  optIn: true,
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx: BenchContext) {
    const data = await ctx.dataFile(v2File(ctx));
    const { decodeInput } = await import('../../src/decode/detect.js');
    const { otelMapping } = await import('../../src/schema/otel.js');
    const { OtlpSink } = await import('../../src/sinks/otlp/sink.js');
    const { HttpTransport } = await import('../../src/sinks/otlp/transport-http.js');
    const receiver = await startCountingReceiver();
    try {
      const { config, settings } = sinkSetup(`${receiver.url}/v1/logs`, false);
      const capture = new CapturingTransport();
      const encoder = new OtlpSink(config, settings, otelMapping(), capture, () => undefined);
      const options: DecodeOptions = { stats: new RunStats(), batchSize: 8192, keepLineText: true };
      let decoded = 0;
      for await (const batch of decodeInput(fileInput(data.path, data.bytes), options)) {
        await encoder.write(batch);
        decoded += batch.length;
        if (decoded >= predecodedRecords(ctx)) break;
      }
      await encoder.close();
      const transport = new HttpTransport(config, settings.maxInFlight);
      const pass = async (): Promise<number> => {
        let next = 0;
        let sent = 0;
        const lane = async (): Promise<void> => {
          while (next < capture.bodies.length) {
            const { body, records } = capture.bodies[next++]!;
            const outcome = await transport.send(body, records);
            sent += outcome.delivered;
          }
        };
        await Promise.all(Array.from({ length: settings.maxInFlight }, lane));
        return sent;
      };
      await pass(); // warm-up: connections, the receiver's JIT
      const passes = Math.max(1, Math.ceil(ctx.records / decoded));
      const before = await receiver.counts();
      const cpu = process.cpuUsage();
      const started = performance.now();
      let records = 0;
      for (let p = 0; p < passes; p++) records += await pass();
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      const after = await receiver.counts();
      transport.close();
      if (records !== decoded * passes)
        throw new Error(`posted ${decoded * passes} records, ${records} acknowledged`);
      return {
        records,
        seconds,
        extra: {
          cpuUsPerRecord: round((used.user + used.system) / records, 3),
          receiverCpuUs: round((after.cpuMicros - before.cpuMicros) / records, 2),
          requests: after.requests - before.requests,
          bytesPerRecord: round((after.bytes - before.bytes) / records),
        },
      };
    } finally {
      await receiver.stop();
    }
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
      const receiverBefore = await receiver.counts();
      const cpu = process.cpuUsage();
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
      const used = process.cpuUsage(cpu);
      await provider.shutdown();
      const counts = await receiver.counts();
      return {
        records: sent,
        seconds,
        extra: {
          requests: counts.requests,
          MBsent: round(counts.bytes / 1e6),
          // nothing dropped: about the bytes per record the flowlens scenarios send
          bytesPerRecord: round(counts.bytes / sent),
          cpuUs: round((used.user + used.system) / sent, 2),
          receiverCpuUs: round((counts.cpuMicros - receiverBefore.cpuMicros) / sent, 2),
        },
      };
    } finally {
      await receiver.stop();
    }
  },
};
