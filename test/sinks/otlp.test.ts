import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import type { Sink, SinkResult } from '../../src/core/types.js';
import type { DeliverySettings } from '../../src/delivery/options.js';
import type { OtlpConfig } from '../../src/sinks/otlp/config.js';
import type { OtlpProtocol } from '../../src/sinks/otlp/options.js';
import { createOtlpSink } from '../../src/sinks/otlp/sink.js';
import { OtlpGrpcReceiver } from '../receivers/otlp-grpc.js';
import { OtlpHttpReceiver, type OtlpReply } from '../receivers/otlp-http.js';
import type { ReceivedRecord } from '../receivers/otlp-proto.js';
import { expectedAttributes, makeBatch, quietContext, testMapping, testSettings } from './helpers.js';

function config(url: string, protocol: OtlpProtocol, extra: Partial<OtlpConfig> = {}): OtlpConfig {
  const u = new URL(url);
  if (protocol !== 'grpc') u.pathname = '/v1/logs';
  return {
    protocol,
    url: u,
    headers: {},
    gzip: false,
    timeoutMs: 5000,
    tls: {},
    resource: new Map(),
    ...extra,
  };
}

/** Writes the batches, then closes; a write that throws (the sink failed for good) stops early. */
async function drive(
  sink: Sink,
  batches: FlowBatch[],
): Promise<{ result: SinkResult; written: number; writeError?: string }> {
  let writeError: string | undefined;
  let written = 0;
  try {
    for (const b of batches) {
      written += b.length;
      await sink.write(b);
    }
    await sink.endInput?.({ id: 'x' });
  } catch (err) {
    writeError = (err as Error).message;
  }
  return { result: await sink.close(), written, ...(writeError ? { writeError } : {}) };
}

function batches(total: number, per = 250): FlowBatch[] {
  const out: FlowBatch[] = [];
  for (let first = 1; first <= total; first += per) {
    out.push(makeBatch(Math.min(per, total - first + 1), { firstLine: first }));
  }
  return out;
}

function uidCounts(records: readonly ReceivedRecord[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of records) {
    const uid = String(r.attributes['flowlens.record_uid']);
    m.set(uid, (m.get(uid) ?? 0) + 1);
  }
  return m;
}

/** Every record of `sent` arrived exactly once, attribute for attribute. */
function assertExactlyOnce(sent: FlowBatch[], received: readonly ReceivedRecord[]): void {
  const byUid = new Map(received.map((r) => [String(r.attributes['flowlens.record_uid']), r]));
  const counts = uidCounts(received);
  let total = 0;
  for (const b of sent) {
    for (let i = 0; i < b.length; i++) {
      total++;
      const uid = b.str('record_uid', i)!;
      assert.equal(counts.get(uid), 1, `record ${uid} received ${counts.get(uid) ?? 0} times`);
      const r = byUid.get(uid)!;
      assert.deepEqual(r.attributes, expectedAttributes(testMapping, b, i));
      assert.deepEqual(r.resource, expectedAttributes(testMapping, b, i, 'resource'));
      assert.equal(r.timeUnixNano, `${b.num('end', i)}000000000`);
      assert.equal(r.severityNumber, testMapping.severityNumber(b, i));
      assert.equal(r.severityText, testMapping.severityText(b, i));
      assert.equal(r.body, b.line(i));
      assert.deepEqual(r.scope, { name: 'flowlens', version: '0.1.0' });
      assert.ok(BigInt(r.observedTimeUnixNano) > 1_600_000_000_000_000_000n);
    }
  }
  assert.equal(received.length, total);
}

async function otlpSink(cfg: OtlpConfig, settings: DeliverySettings = testSettings()): Promise<Sink> {
  return createOtlpSink(cfg, settings, testMapping, quietContext);
}

const receivers: Array<{ stop(): Promise<void> }> = [];
async function http(plan?: (req: { index: number }) => OtlpReply): Promise<OtlpHttpReceiver> {
  const r = await new OtlpHttpReceiver(plan).start();
  receivers.push(r);
  return r;
}
after(async () => {
  for (const r of receivers) await r.stop();
});

describe('otlp sink: every record arrives, attribute for attribute', () => {
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`${protocol}: 1000 records in size-bounded requests, grouped by resource`, async () => {
      const rx = await http();
      const sent = batches(1000);
      const { result } = await drive(await otlpSink(config(rx.url, protocol)), sent);
      assertExactlyOnce(sent, rx.accepted);
      assert.equal(result.delivered, 1000);
      assert.equal(result.failed, 0);
      assert.equal(result.rejected, 0);
      assert.ok(rx.requests.length > 3, `expected several requests, got ${rx.requests.length}`);
      for (const req of rx.requests) {
        assert.equal(req.path, '/v1/logs');
        assert.equal(
          req.headers['content-type'],
          protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
        );
        // 16 KiB limit + at most one record over it
        assert.ok(req.body.length < 16 * 1024 + 4096, `request of ${req.body.length} bytes`);
      }
      // Two accounts × two regions: never more ResourceLogs than that per request.
      assert.ok(Math.max(...rx.resourceLogsPerRequest) <= 4);
      assert.equal(result.details?.requests, rx.requests.length);
    });
  }

  it('http/protobuf with gzip: Content-Encoding set, same records', async () => {
    const rx = await http();
    const sent = batches(600);
    const { result } = await drive(await otlpSink(config(rx.url, 'http/protobuf', { gzip: true })), sent);
    assertExactlyOnce(sent, rx.accepted);
    assert.equal(result.delivered, 600);
    for (const req of rx.requests) {
      assert.equal(req.headers['content-encoding'], 'gzip');
      assert.ok(req.rawBytes < req.body.length);
    }
  });

  it('gzip with many small requests: compressed while the next is encoded, every record once', async () => {
    const rx = await http();
    const sent = batches(1200, 100);
    const settings = testSettings({ maxRequestBytes: 8 * 1024 });
    const { result } = await drive(
      await otlpSink(config(rx.url, 'http/protobuf', { gzip: true }), settings),
      sent,
    );
    assertExactlyOnce(sent, rx.accepted);
    assert.equal(result.delivered, 1200);
    assert.ok(rx.requests.length > 20, `${rx.requests.length} requests`);
    for (const req of rx.requests) assert.equal(req.headers['content-encoding'], 'gzip');
    assert.equal(result.details?.requests, rx.requests.length);
  });

  it('gzip level: level 9 requests are no larger than level 1, and both decode to the same records', async () => {
    const sizes: number[] = [];
    for (const gzipLevel of [1, 9]) {
      const rx = await http();
      const sent = batches(500);
      const { result } = await drive(
        await otlpSink(config(rx.url, 'http/protobuf', { gzip: true, gzipLevel })),
        sent,
      );
      assert.equal(result.delivered, 500);
      assertExactlyOnce(sent, rx.accepted);
      sizes.push(rx.requests.reduce((n, r) => n + r.rawBytes, 0));
    }
    assert.ok(sizes[1]! <= sizes[0]!, `level 9 ${sizes[1]} bytes, level 1 ${sizes[0]}`);
  });

  it('gzip: a 400 fails fast with a request still compressing; everything is accounted for', async () => {
    const rx = await http(({ index }) =>
      index === 2 ? { kind: 'error', status: 400, message: 'bad request' } : { kind: 'ok' },
    );
    const settings = testSettings({ maxRequestBytes: 8 * 1024 });
    const { result, written, writeError } = await drive(
      await otlpSink(config(rx.url, 'http/protobuf', { gzip: true }), settings),
      batches(3000, 100),
    );
    assert.match(writeError ?? '', /HTTP 400: bad request/);
    assert.equal(result.details?.retries, 0);
    assert.equal(result.delivered, rx.accepted.length);
    assert.equal(result.delivered + result.failed, written);
    assert.ok(written < 3000);
  });

  it('sends configured headers', async () => {
    const rx = await http();
    const sent = batches(10);
    await drive(
      await otlpSink(config(rx.url, 'http/protobuf', { headers: { authorization: 'Bearer x y' } })),
      sent,
    );
    assert.equal(rx.requests[0]!.headers.authorization, 'Bearer x y');
  });

  it('user resource attributes override the mapping and are added', async () => {
    const rx = await http();
    const resource = new Map([
      ['service.name', 'vpc-flows'],
      ['cloud.provider', 'custom'],
    ]);
    await drive(await otlpSink(config(rx.url, 'http/protobuf', { resource })), batches(4));
    for (const r of rx.accepted) {
      assert.equal(r.resource['service.name'], 'vpc-flows');
      assert.equal(r.resource['cloud.provider'], 'custom');
      assert.ok(r.resource['cloud.account.id']);
    }
  });

  it('grpc: raw-bytes method, every record arrives', async () => {
    const rx = await new OtlpGrpcReceiver().start();
    receivers.push(rx);
    const sent = batches(800);
    const { result } = await drive(
      await otlpSink(config(rx.url, 'grpc', { headers: { 'x-tenant': 'a' }, gzip: true })),
      sent,
    );
    assertExactlyOnce(sent, rx.accepted);
    assert.equal(result.delivered, 800);
    assert.ok(rx.calls > 3);
    assert.deepEqual(rx.metadata[0]!.get('x-tenant'), ['a']);
  });
});

describe('otlp sink: faults', () => {
  it('retries 503 with Retry-After, 429, a dropped connection and a stall; nothing lost or doubled', async () => {
    const rx = await http(({ index }) => {
      if (index === 0) return { kind: 'error', status: 503, message: 'busy', retryAfter: '1' };
      if (index === 2) return { kind: 'error', status: 429, message: 'slow down' };
      if (index === 4) return { kind: 'drop' };
      if (index === 6) return { kind: 'stall' };
      return { kind: 'ok' };
    });
    const sent = batches(800);
    const started = Date.now();
    const { result } = await drive(await otlpSink(config(rx.url, 'http/protobuf', { timeoutMs: 500 })), sent);
    assertExactlyOnce(sent, rx.accepted);
    assert.equal(result.delivered, 800);
    assert.equal(result.failed, 0);
    assert.deepEqual(result.errors, []);
    assert.equal(result.details?.retries, 4);
    // The Retry-After of one second was honoured (a lower bound, not a timing assertion on speed).
    assert.ok(Date.now() - started >= 1000);
    // The four requests not acknowledged (503, 429, drop, stall) reached the receiver too.
    assert.equal(rx.requests.length, rx.resourceLogsPerRequest.length + 4);
    assert.ok(rx.seen.length > 800);
  });

  it('400 fails fast, quoting the server, and stops the sink', async () => {
    const rx = await http(({ index }) =>
      index === 1 ? { kind: 'error', status: 400, message: 'attribute value too long' } : { kind: 'ok' },
    );
    const sent = batches(2000);
    const { result, written, writeError } = await drive(
      await otlpSink(config(rx.url, 'http/protobuf')),
      sent,
    );
    assert.match(writeError ?? '', /HTTP 400: attribute value too long/);
    assert.match(result.errors.join('\n'), /HTTP 400: attribute value too long/);
    // Exactly one attempt of the failed request: no retry of a permanent error.
    assert.equal(result.details?.retries, 0);
    assert.equal(result.delivered, rx.accepted.length);
    assert.equal(uidCounts(rx.accepted).size, rx.accepted.length);
    // Everything handed to the sink is accounted for: delivered or failed; the run stopped early.
    assert.equal(result.delivered + result.failed, written);
    assert.ok(written < 2000);
    assert.ok(result.failed > 0);
  });

  it('gives up after the configured attempts and counts the records as failed', async () => {
    const rx = await http(() => ({ kind: 'error', status: 502, message: 'bad gateway' }));
    const settings = testSettings({
      retry: { maxAttempts: 3, maxElapsedMs: 10_000, initialDelayMs: 5, maxDelayMs: 20 },
    });
    const { result } = await drive(await otlpSink(config(rx.url, 'http/json'), settings), batches(10));
    assert.equal(result.delivered, 0);
    assert.equal(result.failed, 10);
    assert.equal(rx.requests.length, 3);
    assert.match(result.errors[0]!, /gave up after 3 attempts.*HTTP 502: bad gateway/);
  });

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`${protocol}: partial success is reported and not retried`, async () => {
      const rx = await http(({ index }) =>
        index === 0 ? { kind: 'partial', rejected: 3, message: 'timestamps too old' } : { kind: 'ok' },
      );
      const sent = batches(300);
      const { result } = await drive(await otlpSink(config(rx.url, protocol)), sent);
      assert.equal(result.rejected, 3);
      assert.equal(result.delivered, 297);
      assert.equal(result.details?.retries, 0);
      assert.match(result.errors.join('\n'), /rejected records: timestamps too old/);
      assertExactlyOnce(sent, rx.accepted);
    });
  }

  it('grpc: UNAVAILABLE and RESOURCE_EXHAUSTED with RetryInfo are retried', async () => {
    const rx = await new OtlpGrpcReceiver((call) => {
      if (call === 0) return { kind: 'error', code: grpc.status.UNAVAILABLE, message: 'restarting' };
      if (call === 2)
        return { kind: 'error', code: grpc.status.RESOURCE_EXHAUSTED, message: 'quota', retryDelayMs: 50 };
      return { kind: 'ok' };
    }).start();
    receivers.push(rx);
    const sent = batches(500);
    const { result } = await drive(await otlpSink(config(rx.url, 'grpc')), sent);
    assertExactlyOnce(sent, rx.accepted);
    assert.equal(result.details?.retries, 2);
    assert.equal(result.failed, 0);
  });

  it('grpc: INVALID_ARGUMENT and RESOURCE_EXHAUSTED without RetryInfo fail fast', async () => {
    for (const code of [grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED]) {
      const rx = await new OtlpGrpcReceiver(() => ({ kind: 'error', code, message: 'no way' })).start();
      receivers.push(rx);
      const { result, written, writeError } = await drive(
        await otlpSink(config(rx.url, 'grpc'), testSettings({ maxInFlight: 1 })),
        batches(1000),
      );
      assert.match(writeError ?? '', new RegExp(`${grpc.status[code]}: no way`));
      assert.equal(result.delivered, 0);
      assert.equal(result.failed, written);
      assert.equal(rx.calls, 1);
      assert.equal(result.details?.retries, 0);
    }
  });

  it('connection refused is retried, then reported', async () => {
    const rx = await http();
    const url = rx.url;
    await rx.stop();
    receivers.splice(receivers.indexOf(rx), 1);
    const settings = testSettings({
      retry: { maxAttempts: 2, maxElapsedMs: 5_000, initialDelayMs: 5, maxDelayMs: 10 },
    });
    const { result } = await drive(await otlpSink(config(url, 'http/protobuf'), settings), batches(5));
    assert.equal(result.failed, 5);
    assert.match(result.errors[0]!, /ECONNREFUSED/);
  });
});
