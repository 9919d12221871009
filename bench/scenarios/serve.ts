import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startCountingReceiver } from '../receivers/spawn.js';
import { round, v2File } from './baseline.js';
import type { BenchContext, DataFile, Scenario, ScenarioResult } from './types.js';

const SENDERS = 8;
const PER_REQUEST = 500;

/** The data set's record lines as Firehose request bodies of PER_REQUEST records (ids filled in later). */
async function requestBodies(data: DataFile, limit: number): Promise<Array<(id: string) => string>> {
  const text = gunzipSync(await readFile(data.path)).toString('utf8');
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('version'));
  const out: Array<(id: string) => string> = [];
  for (let i = 0; i < Math.min(lines.length, limit); i += PER_REQUEST) {
    const records = lines
      .slice(i, Math.min(i + PER_REQUEST, limit))
      .map((l) => `{"data":"${Buffer.from(l).toString('base64')}"}`)
      .join(',');
    const tail = `","timestamp":1,"records":[${records}]}`;
    out.push((id) => `{"requestId":"${id}${tail}`);
  }
  return out;
}

function post(url: URL, agent: Agent, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: '/firehose',
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'X-Amz-Firehose-Access-Key': 'bench',
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * `flowlens serve` in this process, SENDERS keep-alive connections each posting PER_REQUEST-record
 * Firehose requests back to back; every request must be answered 200. Records/s over the whole
 * send, request latency percentiles, and the sink's figures.
 */
async function serveRun(ctx: BenchContext, to: 'otlp' | 'store', limit: number): Promise<ScenarioResult> {
  const { serveOptionSpecs } = await import('../../src/cli/serve.js');
  const { resolveWithConfig } = await import('../../src/pipeline/options.js');
  const { startServer } = await import('../../src/server/server.js');
  const { createLogger } = await import('../../src/server/log.js');
  const data = await ctx.dataFile(v2File(ctx));
  const bodies = await requestBodies(data, limit);
  const receiver = to === 'otlp' ? await startCountingReceiver() : undefined;
  const sinkFlags: Record<string, string | string[]> = receiver
    ? {
        to: ['otlp'],
        'otlp-endpoint': `${receiver.url}/v1/logs`,
        'otlp-compression': 'none',
        enrich: ['none'],
      }
    : { to: ['store'], db: join(await ctx.scratchDir(), 'serve.duckdb') };
  const options = resolveWithConfig(
    serveOptionSpecs(),
    {
      flags: { port: '0', host: '127.0.0.1', 'firehose-access-key': 'bench', ...sinkFlags },
      positionals: [],
    },
    {},
  );
  const server = await startServer(options, { env: {}, log: createLogger({ format: 'text', quiet: true }) });
  const url = new URL(server.url);
  const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const sender = async (): Promise<void> => {
    for (let i = next++; i < bodies.length; i = next++) {
      const t = performance.now();
      const status = await post(url, agent, bodies[i]!(`bench-${i}`));
      latencies.push(performance.now() - t);
      if (status !== 200) failed++;
    }
  };
  try {
    const load = loadavg()[0]!;
    const started = performance.now();
    await Promise.all(Array.from({ length: SENDERS }, sender));
    const seconds = (performance.now() - started) / 1000;
    const report = await server.close();
    if (failed > 0) throw new Error(`${failed} of ${bodies.length} requests not answered 200`);
    const delivered = report.sinks[0]!.delivered;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!, 1);
    return {
      records: delivered,
      seconds,
      extra: {
        requests: bodies.length,
        senders: SENDERS,
        p50Ms: pct(0.5),
        p99Ms: pct(0.99),
        maxMs: round(latencies.at(-1)!, 1),
        loadAvg1m: round(load, 2),
        ...(receiver ? { receiverRequests: (await receiver.counts()).requests } : {}),
      },
    };
  } finally {
    agent.destroy();
    await server.close();
    await receiver?.stop();
  }
}

export const serveFirehose: Scenario = {
  name: 'serve-firehose',
  description: `serve --to otlp: ${SENDERS} senders of ${PER_REQUEST}-record Firehose requests, 1M v2 records`,
  baseline: 'otlp',
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx) {
    return serveRun(ctx, 'otlp', ctx.records);
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
