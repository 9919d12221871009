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

  it('grpc: certificate and handshake failures fail at once, with the certificate message, never retried', async () => {
    const misnamed = selfSignedCertificate('DNS:other.example');
    assert.ok(misnamed, 'openssl made the second certificate');
    stops.push(async () => misnamed.cleanup());
    const trusted = await new OtlpGrpcReceiver(undefined, tls).start();
    const otherName = await new OtlpGrpcReceiver(undefined, misnamed).start();
    const plain = await new OtlpGrpcReceiver().start();
    for (const rx of [trusted, otherName, plain]) stops.push(() => rx.stop());
    const cases = [
      {
        name: 'untrusted',
        url: trusted.url,
        ca: undefined,
        expect: /DEPTH_ZERO_SELF_SIGNED_CERT: TLS certificate rejected: self[- ]signed certificate/,
      },
      {
        name: 'wrong host name',
        url: otherName.url,
        ca: misnamed.cert,
        expect:
          /ERR_TLS_CERT_ALTNAME_INVALID: TLS certificate rejected: Hostname\/IP does not match certificate's altnames/,
      },
      {
        name: 'TLS to a plain port',
        url: plain.url.replace('http:', 'https:'),
        ca: undefined,
        expect: /ERR_SSL_WRONG_VERSION_NUMBER: the server does not speak TLS on this port/,
      },
    ];
    for (const c of cases) {
      // a retry would wait a minute first: a failure that came back at once was not retried
      const retry = { maxAttempts: 5, maxElapsedMs: 600_000, initialDelayMs: 60_000, maxDelayMs: 60_000 };
      const sink = await createOtlpSink(
        {
          protocol: 'grpc',
          url: new URL(c.url),
          headers: {},
          gzip: false,
          timeoutMs: 30_000,
          tls: c.ca ? { ca: c.ca } : {},
          resource: new Map(),
        },
        testSettings({ retry }),
        testMapping,
        quietContext,
      );
      await sink.write(makeBatch(5));
      const result = await sink.close();
      assert.equal(result.failed, 5, c.name);
      assert.equal(result.delivered, 0, c.name);
      assert.equal(Number(result.details?.retries ?? 0), 0, `${c.name}: not retried`);
      assert.match(result.errors.join('\n'), c.expect, c.name);
    }
    assert.equal(trusted.accepted.length + otherName.accepted.length + plain.accepted.length, 0);
  });

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
