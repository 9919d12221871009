import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startCountingReceiver, startFirehoseSender } from '../receivers/spawn.js';
import { round, v2File } from './baseline.js';
import type { BenchContext, Scenario, ScenarioResult } from './types.js';

const SENDERS = 8;
const PER_REQUEST = 500;

/**
 * `flowlens serve` in this process; a sender process (as Firehose is another machine) keeps
 * SENDERS keep-alive connections posting PER_REQUEST-record Firehose requests back to back; every
 * request must be answered 200. Records/s over the whole send, request latency percentiles.
 * `enrich` undefined: the default enrichers, as `serve --to otlp` runs.
 */
async function serveRun(
  ctx: BenchContext,
  to: 'otlp' | 'store',
  limit: number,
  enrich?: readonly string[],
): Promise<ScenarioResult> {
  const { serveOptionSpecs } = await import('../../src/cli/serve.js');
  const { resolveWithConfig } = await import('../../src/pipeline/options.js');
  const { startServer } = await import('../../src/server/server.js');
  const { createLogger } = await import('../../src/server/log.js');
  const data = await ctx.dataFile(v2File(ctx));
  const accessKey = 'bench';
  const sender = await startFirehoseSender({
    path: data.path,
    limit,
    perRequest: PER_REQUEST,
    senders: SENDERS,
    accessKey,
  });
  const receiver = to === 'otlp' ? await startCountingReceiver() : undefined;
  const sinkFlags: Record<string, string | string[]> = receiver
    ? { to: ['otlp'], 'otlp-endpoint': `${receiver.url}/v1/logs`, 'otlp-compression': 'none' }
    : { to: ['store'], db: join(await ctx.scratchDir(), 'serve.duckdb') };
  const options = resolveWithConfig(
    serveOptionSpecs(),
    {
      flags: {
        port: '0',
        host: '127.0.0.1',
        'firehose-access-key': accessKey,
        ...sinkFlags,
        ...(enrich ? { enrich: [...enrich] } : {}),
      },
      positionals: [],
    },
    {},
  );
  const server = await startServer(options, { env: {}, log: createLogger({ format: 'text', quiet: true }) });
  try {
    const load = loadavg()[0]!;
    const cpu = process.cpuUsage();
    const started = performance.now();
    const sent = await sender.send(new URL('/firehose', server.url).href);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const report = await server.close();
    if (sent.failed > 0) {
      throw new Error(`${sent.failed} of ${sender.requests} requests not answered 200 (${sent.firstError})`);
    }
    const delivered = report.sinks[0]!.delivered;
    if (delivered !== sender.records)
      throw new Error(`sent ${sender.records} records, delivered ${delivered}`);
    const latencies = [...sent.latenciesMs].sort((a, b) => a - b);
    const pct = (p: number) =>
      round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!, 1);
    return {
      records: delivered,
      seconds,
      extra: {
        enrich: enrich ? enrich.join(',') : 'default',
        requests: sender.requests,
        senders: SENDERS,
        p50Ms: pct(0.5),
        p99Ms: pct(0.99),
        maxMs: round(latencies.at(-1)!, 1),
        // the server's CPU per record (the sender runs in its own process)
        cpuUs: round((used.user + used.system) / delivered, 2),
        loadAvg1m: round(load, 2),
        ...(receiver ? { receiverRequests: (await receiver.counts()).requests } : {}),
      },
    };
  } finally {
    await server.close();
    await receiver?.stop();
  }
}

/** What `serve` must sustain to an OTLP backend on the project's 2-core machine (sender included). */
const SERVE_TARGETS = { minRecordsPerSecond: 500_000, maxP99Ms: 250 } as const;

/** `serve --to otlp` as users run it: the default enrichers. */
export const serveFirehose: Scenario = {
  name: 'serve-firehose',
  description: `serve --to otlp (default enrichers): ${SENDERS} senders of ${PER_REQUEST}-record Firehose requests from another process, 1M v2 records`,
  baseline: 'otlp-default',
  targets: SERVE_TARGETS,
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx) {
    return serveRun(ctx, 'otlp', ctx.records);
  },
};

/** Its raw twin: `serve --to otlp --enrich none`. */
export const serveFirehoseRaw: Scenario = {
  name: 'serve-firehose-raw',
  description: 'as serve-firehose, --enrich none',
  baseline: 'otlp',
  targets: SERVE_TARGETS,
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx) {
    return serveRun(ctx, 'otlp', ctx.records, ['none']);
  },
};

export const serveFirehoseStore: Scenario = {
  name: 'serve-firehose-store',
  description: `serve --to store: ${SENDERS} senders of ${PER_REQUEST}-record Firehose requests, 200k v2 records`,
  baseline: 'store-sink-plain',
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx) {
    return serveRun(ctx, 'store', Math.min(ctx.records, 200_000));
  },
};
