import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveOptions } from '../../src/config/options.js';
import { resolveOtlpConfig } from '../../src/sinks/otlp/config.js';
import { OTLP_OPTIONS } from '../../src/sinks/otlp/options.js';
import { createOtlpSink } from '../../src/sinks/otlp/sink.js';
import { OtlpGrpcReceiver } from '../receivers/otlp-grpc.js';
import { OtlpHttpReceiver } from '../receivers/otlp-http.js';
import { selfSignedCertificate } from '../receivers/tls.js';
import { makeBatch, quietContext, testMapping, testSettings } from './helpers.js';

const tls = selfSignedCertificate();
const stops: Array<() => Promise<void>> = [];
after(async () => {
  for (const s of stops) await s();
  tls?.cleanup();
});

describe('otlp sink over TLS and with deadlines', { skip: tls ? false : 'openssl not available' }, () => {
  for (const protocol of ['http/protobuf', 'grpc'] as const) {
    it(`${protocol}: https:// uses TLS, trusting --otlp-certificate (OTEL_EXPORTER_OTLP_CERTIFICATE)`, async () => {
      const rx =
        protocol === 'grpc'
          ? await new OtlpGrpcReceiver(undefined, tls).start()
          : await new OtlpHttpReceiver(undefined, tls).start();
      stops.push(() => rx.stop());
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_CERTIFICATE: tls!.certPath };
      const options = resolveOptions(OTLP_OPTIONS, { env, flags: { 'otlp-protocol': protocol } });
      const config = resolveOtlpConfig(options, env, () => undefined);
      assert.equal(config.url.protocol, 'https:');
      const sink = await createOtlpSink(config, testSettings(), testMapping, quietContext);
      await sink.write(makeBatch(50));
      const result = await sink.close();
      assert.equal(result.delivered, 50);
      assert.equal(rx.accepted.length, 50);
    });

    it(`${protocol}: an untrusted certificate is a failure, not a silent success`, async () => {
      const rx =
        protocol === 'grpc'
          ? await new OtlpGrpcReceiver(undefined, tls).start()
          : await new OtlpHttpReceiver(undefined, tls).start();
      stops.push(() => rx.stop());
      const url = new URL(rx.url);
      if (protocol !== 'grpc') url.pathname = '/v1/logs';
      const sink = await createOtlpSink(
        { protocol, url, headers: {}, gzip: false, timeoutMs: 2000, tls: {}, resource: new Map() },
        testSettings({ retry: { maxAttempts: 2, maxElapsedMs: 5000, initialDelayMs: 5, maxDelayMs: 10 } }),
        testMapping,
        quietContext,
      );
      await sink.write(makeBatch(5));
      const result = await sink.close();
      assert.equal(result.delivered, 0);
      assert.equal(result.failed, 5);
      assert.equal(rx.accepted.length, 0);
    });
  }

  it('grpc: a call past the deadline is retried (DEADLINE_EXCEEDED) and its records delivered', async () => {
    const rx = await new OtlpGrpcReceiver((call) =>
      call === 0 ? { kind: 'stall' } : { kind: 'ok' },
    ).start();
    stops.push(() => rx.stop());
    const sink = await createOtlpSink(
      {
        protocol: 'grpc',
        url: new URL(rx.url),
        headers: {},
        gzip: false,
        timeoutMs: 300,
        tls: {},
        resource: new Map(),
      },
      testSettings({ maxInFlight: 1 }),
      testMapping,
      quietContext,
    );
    await sink.write(makeBatch(20));
    const result = await sink.close();
    assert.equal(result.delivered, 20);
    assert.equal(result.failed, 0);
    // The first call ran into the client's deadline: the server saw it cancelled.
    for (let i = 0; i < 3000 && rx.cancelled === 0; i++) await sleep(10);
    assert.equal(rx.cancelled, 1);
    // On a loaded machine a later call can miss its 300 ms deadline too, so what is asserted
    // is counted, not timed: every retry follows a failed attempt, and every call the server
    // answered carried the whole request (a call answered after its deadline is resent).
    const retries = Number(result.details?.retries);
    assert.ok(retries >= 1, `${retries} retries`);
    assert.ok(rx.calls >= 2 && rx.calls <= retries + 1, `${rx.calls} calls for ${retries} retries`);
    assert.equal(rx.accepted.length, 20 * (rx.calls - 1));
    assert.equal(new Set(rx.accepted.map((r) => JSON.stringify(r))).size, 20);
  });
});
