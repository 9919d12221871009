import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ConfigError, type OptionSpec, resolveOptions } from '../../src/config/options.js';
import { RunStats } from '../../src/core/stats.js';
import type { Sink } from '../../src/core/types.js';
import { ES_OPTIONS } from '../../src/sinks/elasticsearch/options.js';
import { create as createEs } from '../../src/sinks/elasticsearch/sink.js';
import { HTTP_OPTIONS } from '../../src/sinks/http/options.js';
import { create as createHttp } from '../../src/sinks/http/sink.js';
import { OTLP_OPTIONS } from '../../src/sinks/otlp/options.js';
import { create as createOtlp } from '../../src/sinks/otlp/sink.js';
import { PEERS_OPTIONS } from '../../src/sinks/peers/options.js';
import { create as createPeers } from '../../src/sinks/peers/sink.js';
import type { SinkContext } from '../../src/sinks/registry.js';
import { ConnectProxy } from '../receivers/connect-proxy.js';
import { EsBulkReceiver } from '../receivers/es-bulk.js';
import { TestHttpServer } from '../receivers/http-server.js';
import { OtlpHttpReceiver } from '../receivers/otlp-http.js';
import { selfSignedCertificate } from '../receivers/tls.js';
import { makeBatch } from './helpers.js';

const tls = selfSignedCertificate();
const stops: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const s of stops.reverse()) await s();
  tls?.cleanup();
});

async function proxy(): Promise<ConnectProxy> {
  const p = await new ConnectProxy().start();
  stops.push(() => p.stop());
  return p;
}

function context(env: NodeJS.ProcessEnv): SinkContext {
  return { env, stats: new RunStats(), log: () => undefined };
}

/** Options as the CLI resolves them, with quick retries. */
function options(specs: readonly OptionSpec[], env: NodeJS.ProcessEnv, flags: Record<string, string>) {
  return resolveOptions(specs, { env, flags: { 'retry-initial-delay': '10', ...flags } });
}

async function deliver(sink: Sink, records: number) {
  await sink.write(makeBatch(records));
  return sink.close();
}

describe('every HTTP sink honours the proxy variables', () => {
  it('otlp (own client): https through a CONNECT tunnel; NO_PROXY goes direct', {
    skip: tls ? false : 'openssl not available',
  }, async () => {
    const rx = await new OtlpHttpReceiver(undefined, tls).start();
    stops.push(() => rx.stop());
    const px = await proxy();
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_CERTIFICATE: tls!.certPath };
    const env = { ...base, HTTPS_PROXY: px.url };
    const proxied = await createOtlp(options(OTLP_OPTIONS, env, {}), context(env));
    assert.equal((await deliver(proxied, 40)).delivered, 40);
    assert.ok(px.tunnels >= 1, 'the requests went through the proxy');
    assert.equal(rx.accepted.length, 40);

    const tunnels = px.tunnels;
    const bypass = { ...env, no_proxy: '127.0.0.1' };
    const direct = await createOtlp(options(OTLP_OPTIONS, bypass, {}), context(bypass));
    assert.equal((await deliver(direct, 10)).delivered, 10);
    assert.equal(px.tunnels, tunnels, 'NO_PROXY: not through the proxy');
    assert.equal(rx.accepted.length, 50);
  });

  it('http (undici): absolute-form requests to HTTP_PROXY', async () => {
    const rx = await new TestHttpServer(() => ({ kind: 'ok' })).start();
    stops.push(() => rx.stop());
    const px = await proxy();
    const env = { http_proxy: px.url };
    const sink = await createHttp(
      options(HTTP_OPTIONS, env, { 'http-url': `${rx.url}/ingest` }),
      context(env),
    );
    assert.equal((await deliver(sink, 30)).delivered, 30);
    assert.equal(px.forwarded, rx.requests.length);
    assert.ok(px.forwarded >= 1);
    assert.equal(px.targets[0], `${rx.url}/ingest`);
  });

  it('elasticsearch (undici): _bulk through HTTP_PROXY', async () => {
    const rx = await new EsBulkReceiver().start();
    stops.push(() => rx.stop());
    const px = await proxy();
    const env = { HTTP_PROXY: px.url };
    const sink = await createEs(options(ES_OPTIONS, env, { 'es-url': rx.url }), context(env));
    assert.equal((await deliver(sink, 25)).delivered, 25);
    assert.equal(rx.docs.size, 25);
    assert.ok(px.forwarded >= 1);
    assert.match(px.targets[0]!, /\/_bulk$/);
  });

  it('peers (undici): bucket POSTs through HTTP_PROXY', async () => {
    const rx = await new TestHttpServer(() => ({ kind: 'ok' })).start();
    stops.push(() => rx.stop());
    const px = await proxy();
    const env = { HTTP_PROXY: px.url };
    const sink = await createPeers(
      options(PEERS_OPTIONS, env, { 'peers-url': `${rx.url}/peers/{bucket}` }),
      context(env),
    );
    const result = await deliver(sink, 12);
    assert.equal(result.failed, 0);
    assert.ok(rx.requests.length >= 1);
    assert.equal(px.forwarded, rx.requests.length);
  });

  it('a proxy variable that cannot be used stops the sink before anything runs', async () => {
    const env = { HTTPS_PROXY: 'socks5://127.0.0.1:1080' };
    await assert.rejects(
      createHttp(options(HTTP_OPTIONS, env, { 'http-url': 'https://127.0.0.1:9/x' }), context(env)),
      (err: Error) => err instanceof ConfigError && /^HTTPS_PROXY: only http:\/\/ proxies/.test(err.message),
    );
  });
});

describe('TLS failures stop a sink at once', { skip: tls ? false : 'openssl not available' }, () => {
  it('otlp: an untrusted certificate is not retried, and the report says why', async () => {
    const rx = await new OtlpHttpReceiver(undefined, tls).start();
    stops.push(() => rx.stop());
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url };
    const sink = await createOtlp(options(OTLP_OPTIONS, env, { 'retry-attempts': '40' }), context(env));
    const result = await deliver(sink, 10);
    assert.equal(result.delivered, 0);
    assert.equal(result.failed, 10);
    assert.equal(result.details?.retries, 0);
    assert.equal(result.details?.requests, 1);
    assert.match(result.errors[0]!, /DEPTH_ZERO_SELF_SIGNED_CERT: TLS certificate rejected/);
  });

  it('http: https to a plain port is not retried', async () => {
    const rx = await new TestHttpServer(() => ({ kind: 'ok' })).start();
    stops.push(() => rx.stop());
    const env = {};
    const url = `${rx.url.replace('http:', 'https:')}/x`;
    const sink = await createHttp(
      options(HTTP_OPTIONS, env, { 'http-url': url, 'retry-attempts': '40' }),
      context(env),
    );
    const result = await deliver(sink, 10);
    assert.equal(result.failed, 10);
    assert.equal(result.details?.retries, 0);
    assert.match(result.errors[0]!, /does not speak TLS on this port|TLS handshake failed/);
    assert.equal(rx.requests.length, 0);
  });
});

describe('a timeout of 0', () => {
  it('otlp: --otlp-timeout 0 leaves a stalled request bounded by --retry-max-time', async () => {
    const rx = await new OtlpHttpReceiver(() => ({ kind: 'stall' })).start();
    stops.push(() => rx.stop());
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url };
    const sink = await createOtlp(
      options(OTLP_OPTIONS, env, { 'otlp-timeout': '0', 'retry-max-time': '1' }),
      context(env),
    );
    const result = await deliver(sink, 10);
    assert.equal(result.delivered, 0);
    assert.equal(result.failed, 10);
    assert.match(result.errors[0]!, /gave up after 1 attempts over \d+ s: .*no response within 1000 ms/);
  });

  it('http: --http-timeout 0 leaves a stalled request bounded by --retry-max-time', async () => {
    const rx = await new TestHttpServer(() => ({ kind: 'stall' })).start();
    stops.push(() => rx.stop());
    const env = {};
    const sink = await createHttp(
      options(HTTP_OPTIONS, env, { 'http-url': `${rx.url}/x`, 'http-timeout': '0', 'retry-max-time': '1' }),
      context(env),
    );
    const result = await deliver(sink, 10);
    assert.equal(result.failed, 10);
    assert.match(result.errors[0]!, /no response within 1000 ms/);
  });
});
