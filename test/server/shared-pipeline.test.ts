import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serveOptionSpecs } from '../../src/cli/serve.js';
import { resolveWithConfig } from '../../src/pipeline/options.js';
import { startServer } from '../../src/server/server.js';
import { storesOpened } from '../../src/store/shared.js';
import { flowLines } from '../aws/helpers.js';
import { OtlpHttpReceiver } from '../receivers/otlp-http.js';
import { memoryLogger } from './helpers.js';

const SENDERS = 8;
const RECORDS = 500;

function requestBody(requestId: string, lines: readonly string[]): string {
  return JSON.stringify({
    requestId,
    timestamp: Date.now(),
    records: lines.map((l) => ({ data: Buffer.from(`${l}\n`).toString('base64') })),
  });
}

async function post(url: string, body: string): Promise<{ status: number; retryAfter: string | null }> {
  const res = await fetch(`${url}/firehose`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Amz-Firehose-Protocol-Version': '1.0' },
    body,
  });
  await res.arrayBuffer();
  return { status: res.status, retryAfter: res.headers.get('retry-after') };
}

async function serve(flags: Record<string, string | string[]>, logs?: Array<Record<string, unknown>>) {
  const options = resolveWithConfig(
    serveOptionSpecs(),
    { flags: { port: '0', host: '127.0.0.1', ...flags }, positionals: [] },
    {},
  );
  return startServer(options, { env: {}, log: memoryLogger(logs) });
}

/** Sends `SENDERS` requests at once, each of RECORDS distinct records (tag = request index). */
async function sendConcurrently(url: string, prefix: string): Promise<number[]> {
  const bodies = Array.from({ length: SENDERS }, (_, i) =>
    requestBody(`${prefix}-${i}`, flowLines(RECORDS, i)),
  );
  const answers = await Promise.all(bodies.map((b) => post(url, b)));
  return answers.map((a) => a.status);
}

/** Value of a metric line (`name{labels} value`) in Prometheus text, 0 when absent. */
function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('serve: one pipeline for every request', () => {
  let receiver: OtlpHttpReceiver;
  let dir: string;

  before(async () => {
    receiver = await new OtlpHttpReceiver().start();
    dir = mkdtempSync(join(tmpdir(), 'flowlens-serve-'));
  });
  after(async () => {
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers 8 concurrent requests to otlp through one connection pool, exactly once', async () => {
    const server = await serve({ to: ['otlp'], 'otlp-endpoint': receiver.url, 'otlp-compression': 'none' });
    let closed = false;
    try {
      assert.deepEqual(await sendConcurrently(server.url, 'otlp'), Array(SENDERS).fill(200));
      // Firehose retries two of them (same id, same body): answered, not ingested again.
      const retried = await Promise.all(
        [0, 5].map((i) => post(server.url, requestBody(`otlp-${i}`, flowLines(RECORDS, i)))),
      );
      assert.deepEqual(
        retried.map((r) => r.status),
        [200, 200],
      );
      const total = SENDERS * RECORDS;
      assert.equal(receiver.accepted.length, total);
      const bodies = new Set(receiver.accepted.map((r) => JSON.stringify(r.body)));
      assert.equal(bodies.size, total, 'no record twice');
      // The sink's pool: at most its in-flight limit of connections, not one per request.
      assert.ok(receiver.server.connections >= 1);
      assert.ok(
        receiver.server.connections < SENDERS,
        `${receiver.server.connections} connections for ${SENDERS} requests`,
      );
      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.equal(metric(text, 'flowlens_records_delivered_total{sink="otlp"}'), total);
      assert.equal(metric(text, 'flowlens_records_decoded_total'), total);
      assert.equal(metric(text, 'flowlens_firehose_requests_total{status="200"}'), SENDERS + 2);
      assert.equal(metric(text, 'flowlens_firehose_repeated_requests_total'), 2);
      const report = await server.close();
      closed = true;
      assert.equal(report.sinks[0]!.delivered, total);
      assert.equal(report.ok, true);
    } finally {
      if (!closed) await server.close();
    }
  });

  it('delivers 8 concurrent requests into one store, readable through the same instance', async () => {
    const db = join(dir, 'flows.duckdb');
    const opensBefore = storesOpened();
    const server = await serve({ to: ['store'], db });
    try {
      assert.deepEqual(await sendConcurrently(server.url, 'store'), Array(SENDERS).fill(200));
      assert.equal((await post(server.url, requestBody('store-3', flowLines(RECORDS, 3)))).status, 200);
      const reader = await server.pipeline.storeReader();
      assert.ok(reader, 'a store reader');
      try {
        const rows = await reader.query(
          'SELECT count(*) AS n, count(DISTINCT (interface_id, srcport)) AS distinct_records FROM flows WHERE srcport >= ?',
          [10000],
        );
        assert.equal(Number(rows[0]!.n), SENDERS * RECORDS);
        assert.equal(Number(rows[0]!.distinct_records), SENDERS * RECORDS);
      } finally {
        await reader.release();
      }
      assert.equal(storesOpened() - opensBefore, 1, 'one DuckDB instance for the sink and the reader');
    } finally {
      await server.close();
    }
  });

  it('ingests a reused request id whose body differs', async () => {
    const server = await serve({ to: ['otlp'], 'otlp-endpoint': receiver.url, 'otlp-compression': 'none' });
    try {
      const before = receiver.accepted.length;
      assert.equal((await post(server.url, requestBody('reused', flowLines(3, 40)))).status, 200);
      assert.equal((await post(server.url, requestBody('reused', flowLines(4, 41)))).status, 200);
      assert.equal(receiver.accepted.length - before, 7);
    } finally {
      await server.close();
    }
  });

  it('answers 503 with Retry-After while the body budget is held by other requests', async () => {
    const logs: Array<Record<string, unknown>> = [];
    const server = await serve({ to: ['null'], 'max-inflight-bytes': '65536', 'max-body': '1048576' }, logs);
    try {
      // No access key: the start says so, as a warning.
      assert.ok(
        logs.some((l) => l.level === 'warn' && String(l.message).includes('accepts records from anyone')),
      );
      const big = requestBody('big', flowLines(600, 1));
      assert.ok(big.length > 65536);
      const first = await post(server.url, big);
      assert.equal(first.status, 503);
      assert.equal(first.retryAfter, '1');
      // Within the budget, the same server delivers.
      assert.equal((await post(server.url, requestBody('small', flowLines(10, 2)))).status, 200);
    } finally {
      await server.close();
    }
  });

  // The timeout stands for "frozen": a quadratic newline strip spends minutes on this record.
  it('keeps /healthz answering while a record holds 256 Ki newlines', { timeout: 30_000 }, async () => {
    const server = await serve({ to: ['null'] });
    try {
      const line = flowLines(1, 7)[0]!;
      const data = Buffer.from(`${'\n'.repeat(262_144)}${line}${'\r\n'.repeat(1024)}`).toString('base64');
      const hostile = post(server.url, JSON.stringify({ requestId: 'redos', records: [{ data }] }));
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 200);
      assert.equal((await hostile).status, 200);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.equal(metric(text, 'flowlens_records_delivered_total{sink="null"}'), 1);
    } finally {
      await server.close();
    }
  });
});
