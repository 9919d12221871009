import { readFileSync } from 'node:fs';
import { ConfigError, optionsOf, type ResolvedOptions } from '../../config/options.js';
import type { TlsFiles } from '../../delivery/http.js';
import { type ProxyEnv, proxyEnv } from '../../delivery/proxy.js';
import { OTLP_OPTIONS, type OtlpProtocol } from './options.js';

/** Everything the OTLP sink needs, resolved from flags, config file and the OTEL_* variables. */
export interface OtlpConfig {
  readonly protocol: OtlpProtocol;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly gzip: boolean;
  /** zlib level for gzip requests (default GZIP_LEVEL). */
  readonly gzipLevel?: number;
  readonly timeoutMs: number;
  readonly tls: TlsFiles;
  /** HTTP(S)_PROXY and NO_PROXY for OTLP/HTTP (none when absent; gRPC reads them itself). */
  readonly proxies?: ProxyEnv;
  /** OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, applied over the mapping's resource. */
  readonly resource: Map<string, string>;
}

const LOGS_PATH = 'v1/logs';

/**
 * zlib level 1: three times faster than zlib's default 6 on OTLP requests, about 25% larger
 * (docs/internals/otlp-encoding.md); compression, not encoding, bounds gzip throughput.
 */
export const GZIP_LEVEL = 1;

/**
 * The export URL (spec sheet F.2). An explicit --otlp-endpoint (flag or config key) is a base
 * URL; otherwise OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is used as is, then OTEL_EXPORTER_OTLP_ENDPOINT
 * as a base. For HTTP a base gets `v1/logs` appended as if it ended in `/`, unless it already
 * ends in `/v1/logs`. gRPC uses only scheme, host and port.
 */
export function resolveEndpoint(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
  protocol: OtlpProtocol,
): URL {
  const grpc = protocol === 'grpc';
  let raw: string;
  let where: string;
  let asIs = false;
  if (explicit) {
    raw = explicit;
    where = '--otlp-endpoint';
  } else if (env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT) {
    raw = env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT;
    where = 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT';
    asIs = true;
  } else if (env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    raw = env.OTEL_EXPORTER_OTLP_ENDPOINT;
    where = 'OTEL_EXPORTER_OTLP_ENDPOINT';
  } else {
    raw = grpc ? 'http://localhost:4317' : 'http://localhost:4318';
    where = 'default endpoint';
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${where}: expected an http:// or https:// URL (got ${JSON.stringify(raw)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${where}: expected an http:// or https:// URL (got ${JSON.stringify(raw)})`);
  }
  if (grpc || asIs) return url;
  if (/\/v1\/logs\/?$/.test(url.pathname)) return url;
  const base = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  url.pathname = base + LOGS_PATH;
  return url;
}

/**
 * Parses a W3C-Baggage-style `k=v,k2=v2` list with percent-decoding (OTEL_EXPORTER_OTLP_HEADERS,
 * OTEL_RESOURCE_ATTRIBUTES). Throws on a malformed member or a bad percent escape.
 */
export function parseKeyValueList(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const member of text.split(',')) {
    if (member.trim() === '') continue;
    const eq = member.indexOf('=');
    if (eq <= 0) throw new Error(`"${member.trim()}" is not key=value`);
    const key = decodeURIComponent(member.slice(0, eq).trim());
    const value = decodeURIComponent(member.slice(eq + 1).trim());
    if (key === '') throw new Error(`"${member.trim()}" has an empty key`);
    out.set(key, value);
  }
  return out;
}

/** Request headers: the per-signal variable, else the generic one, then --otlp-header on top. */
export function resolveHeaders(
  flags: readonly string[] | undefined,
  env: NodeJS.ProcessEnv,
): Record<string, string> {
  const out: Record<string, string> = {};
  const name = env.OTEL_EXPORTER_OTLP_LOGS_HEADERS
    ? 'OTEL_EXPORTER_OTLP_LOGS_HEADERS'
    : env.OTEL_EXPORTER_OTLP_HEADERS
      ? 'OTEL_EXPORTER_OTLP_HEADERS'
      : undefined;
  if (name) {
    let parsed: Map<string, string>;
    try {
      parsed = parseKeyValueList(env[name]!);
    } catch (err) {
      throw new ConfigError(`${name}: ${(err as Error).message}`);
    }
    for (const [k, v] of parsed) out[k.toLowerCase()] = v;
  }
  for (const h of flags ?? []) {
    const eq = h.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--otlp-header: expected key=value (got ${JSON.stringify(h)})`);
    out[h.slice(0, eq).trim().toLowerCase()] = h.slice(eq + 1).trim();
  }
  return out;
}

/**
 * OTEL_RESOURCE_ATTRIBUTES (percent-decoded; any decode error discards the whole variable,
 * with a warning) and OTEL_SERVICE_NAME, which wins over service.name.
 */
export function resolveResource(
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
): Map<string, string> {
  let out = new Map<string, string>();
  const raw = env.OTEL_RESOURCE_ATTRIBUTES;
  if (raw) {
    try {
      out = parseKeyValueList(raw);
    } catch (err) {
      warn(`OTEL_RESOURCE_ATTRIBUTES ignored: ${(err as Error).message}`);
      out = new Map();
    }
  }
  if (env.OTEL_SERVICE_NAME) out.set('service.name', env.OTEL_SERVICE_NAME);
  return out;
}

function readPem(path: string | undefined, setting: string): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${setting}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
}

export function resolveOtlpConfig(
  options: ResolvedOptions,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
): OtlpConfig {
  const o = optionsOf(OTLP_OPTIONS, options);
  const protocol = o['otlp-protocol'] ?? 'http/protobuf';
  const url = resolveEndpoint(o['otlp-endpoint'], env, protocol);
  const ca = readPem(o['otlp-certificate'], '--otlp-certificate');
  const key = readPem(o['otlp-client-key'], '--otlp-client-key');
  const cert = readPem(o['otlp-client-certificate'], '--otlp-client-certificate');
  if (Boolean(key) !== Boolean(cert)) {
    throw new ConfigError('--otlp-client-key and --otlp-client-certificate must be given together');
  }
  return {
    protocol,
    url,
    headers: resolveHeaders(o['otlp-header'], env),
    gzip: options['otlp-compression'] === 'gzip',
    gzipLevel: o['otlp-gzip-level'] ?? GZIP_LEVEL,
    timeoutMs: o['otlp-timeout'] ?? 10000,
    tls: { ...(ca ? { ca } : {}), ...(key ? { key } : {}), ...(cert ? { cert } : {}) },
    proxies: proxyEnv(env),
    resource: resolveResource(env, warn),
  };
}
