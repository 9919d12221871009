import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, resolveOptions } from '../../src/config/options.js';
import {
  parseKeyValueList,
  resolveEndpoint,
  resolveHeaders,
  resolveOtlpConfig,
  resolveResource,
} from '../../src/sinks/otlp/config.js';
import { OTLP_OPTIONS } from '../../src/sinks/otlp/options.js';

describe('OTLP endpoint (spec sheet F.2)', () => {
  it('appends v1/logs to a base URL, as if it ended in /', () => {
    assert.equal(
      resolveEndpoint(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, 'http/protobuf').href,
      'http://c:4318/v1/logs',
    );
    assert.equal(
      resolveEndpoint(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/mycollector/' }, 'http/json')
        .href,
      'http://c:4318/mycollector/v1/logs',
    );
    assert.equal(
      resolveEndpoint(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/mycollector' }, 'http/json')
        .href,
      'http://c:4318/mycollector/v1/logs',
    );
  });

  it('uses the per-signal variable as is, and it wins over the generic one', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4318',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs:9999/ingest',
    };
    assert.equal(resolveEndpoint(undefined, env, 'http/protobuf').href, 'http://logs:9999/ingest');
    assert.equal(
      resolveEndpoint(undefined, { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'https://logs' }, 'http/protobuf').href,
      'https://logs/',
    );
  });

  it('--otlp-endpoint is a base URL unless it already ends in /v1/logs', () => {
    const env = { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs:1/x' };
    assert.equal(resolveEndpoint('http://flag:4318', env, 'http/protobuf').href, 'http://flag:4318/v1/logs');
    assert.equal(
      resolveEndpoint('http://flag:4318/v1/logs', env, 'http/protobuf').href,
      'http://flag:4318/v1/logs',
    );
  });

  it('defaults by protocol; gRPC takes no path', () => {
    assert.equal(resolveEndpoint(undefined, {}, 'http/protobuf').href, 'http://localhost:4318/v1/logs');
    assert.equal(resolveEndpoint(undefined, {}, 'grpc').href, 'http://localhost:4317/');
    assert.equal(
      resolveEndpoint(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4317' }, 'grpc').href,
      'https://c:4317/',
    );
  });

  it('rejects a bad URL naming the variable', () => {
    assert.throws(
      () => resolveEndpoint(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'c:4318' }, 'http/protobuf'),
      (e: unknown) => e instanceof ConfigError && /OTEL_EXPORTER_OTLP_ENDPOINT/.test(e.message),
    );
  });
});

describe('OTLP headers and resource attributes', () => {
  it('percent-decodes header values; the per-signal variable wins; flags add on top', () => {
    const env = {
      OTEL_EXPORTER_OTLP_HEADERS: 'generic=1',
      OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'Authorization=Basic%20abc%3D%3D,x-org=a%2Cb',
    };
    assert.deepEqual(resolveHeaders(['x-org=flag'], env), { authorization: 'Basic abc==', 'x-org': 'flag' });
    assert.deepEqual(resolveHeaders(undefined, { OTEL_EXPORTER_OTLP_HEADERS: 'k=v%20w' }), { k: 'v w' });
  });

  it('a malformed header list is a config error naming the variable', () => {
    assert.throws(
      () => resolveHeaders(undefined, { OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }),
      /OTEL_EXPORTER_OTLP_HEADERS/,
    );
    assert.throws(
      () => resolveHeaders(undefined, { OTEL_EXPORTER_OTLP_HEADERS: 'k=%zz' }),
      /OTEL_EXPORTER_OTLP_HEADERS/,
    );
  });

  it('resource attributes are percent-decoded; OTEL_SERVICE_NAME wins over service.name', () => {
    const warnings: string[] = [];
    const r = resolveResource(
      {
        OTEL_RESOURCE_ATTRIBUTES: 'service.name=a,deployment.environment=prod%2Ceu,team=x%3Dy',
        OTEL_SERVICE_NAME: 'flows',
      },
      (m) => warnings.push(m),
    );
    assert.deepEqual(Object.fromEntries(r), {
      'service.name': 'flows',
      'deployment.environment': 'prod,eu',
      team: 'x=y',
    });
    assert.deepEqual(warnings, []);
  });

  it('a decode error discards the whole variable, with a warning', () => {
    const warnings: string[] = [];
    const r = resolveResource({ OTEL_RESOURCE_ATTRIBUTES: 'a=1,b=%E0%A4%A' }, (m) => warnings.push(m));
    assert.equal(r.size, 0);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /OTEL_RESOURCE_ATTRIBUTES ignored/);
    assert.deepEqual(parseKeyValueList('a=%20x'), new Map([['a', ' x']]));
  });
});

describe('OTLP options through the shared resolver', () => {
  it('per-signal protocol, compression and timeout variables win over the generic ones', () => {
    const env = {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '1500',
    };
    const options = resolveOptions(OTLP_OPTIONS, { env });
    const cfg = resolveOtlpConfig(options, env, () => undefined);
    assert.equal(cfg.protocol, 'http/json');
    assert.equal(cfg.gzip, true);
    assert.equal(cfg.timeoutMs, 1500);
  });

  it('gzip level: default 1, FLOWLENS_OTLP_GZIP_LEVEL or the flag, 1–9 only', () => {
    assert.equal(
      resolveOtlpConfig(resolveOptions(OTLP_OPTIONS, { env: {} }), {}, () => undefined).gzipLevel,
      1,
    );
    const env = { FLOWLENS_OTLP_GZIP_LEVEL: '6' };
    assert.equal(resolveOtlpConfig(resolveOptions(OTLP_OPTIONS, { env }), env, () => undefined).gzipLevel, 6);
    const flagged = resolveOptions(OTLP_OPTIONS, { env, flags: { 'otlp-gzip-level': '9' } });
    assert.equal(resolveOtlpConfig(flagged, env, () => undefined).gzipLevel, 9);
    assert.throws(
      () => resolveOptions(OTLP_OPTIONS, { env: { FLOWLENS_OTLP_GZIP_LEVEL: '0' } }),
      /FLOWLENS_OTLP_GZIP_LEVEL/,
    );
    assert.throws(
      () => resolveOptions(OTLP_OPTIONS, { env: {}, flags: { 'otlp-gzip-level': '10' } }),
      /otlp-gzip-level/,
    );
  });

  it('a flag beats the environment', () => {
    const env = { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' };
    const options = resolveOptions(OTLP_OPTIONS, { env, flags: { 'otlp-protocol': 'http/protobuf' } });
    assert.equal(resolveOtlpConfig(options, env, () => undefined).protocol, 'http/protobuf');
  });

  it('bad values fail at start, naming the setting', () => {
    assert.throws(
      () => resolveOptions(OTLP_OPTIONS, { env: { OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'udp' } }),
      /OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: expected one of/,
    );
    assert.throws(
      () =>
        resolveOtlpConfig(
          resolveOptions(OTLP_OPTIONS, { env: {}, flags: { 'otlp-certificate': '/nonexistent.pem' } }),
          {},
          () => undefined,
        ),
      /--otlp-certificate: cannot read/,
    );
  });
});
