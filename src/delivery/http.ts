import { DeliveryError, parseRetryAfter, quote, RETRYABLE_HTTP } from './errors.js';
import { Exchange } from './http1/exchange.js';
import { headerLines, hostOverride, isEmpty, requestPrefix } from './http1/head.js';
import { Pool } from './http1/pool.js';
import type { HttpResponse, TlsFiles } from './http1/types.js';

export type { HttpResponse, TlsFiles } from './http1/types.js';

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * A keep-alive HTTP/1.1 client for one endpoint, with at most `maxSockets` connections
 * (requests beyond wait their turn). Hand-written over node:net/node:tls rather than
 * node:http: with ~1 MiB bodies the ClientRequest/agent/parser machinery cost about a
 * quarter of a millisecond of main-thread CPU per request.
 */
export class HttpClient {
  private readonly headers: Readonly<Record<string, string>>;
  /** The base headers as head lines. */
  private readonly lines: string;
  /** The head of a POST to `url` up to the content-length value. */
  private readonly prefix: string;
  private readonly where: string;
  private readonly pool: Pool;
  /** Pools for other origins a post() names (each with its own `maxSockets`). */
  private readonly others = new Map<string, Pool>();

  constructor(
    readonly url: URL,
    baseHeaders: Readonly<Record<string, string>>,
    private readonly timeoutMs: number,
    private readonly maxSockets: number,
    private readonly tls: TlsFiles = {},
    /** Response bodies beyond this are cut (we only need status and messages). */
    private readonly maxResponseBytes = 4 * 1024 * 1024,
  ) {
    checkScheme(url);
    this.headers = merge(baseHeaders, NO_HEADERS);
    // Validated here, once: a bad header is a configuration error, not a delivery failure.
    this.lines = headerLines(this.headers);
    this.prefix = requestPrefix(url, this.lines, hostOverride(this.headers));
    this.where = `POST ${url.origin}${url.pathname}`;
    this.pool = new Pool(url, tls, Math.max(1, maxSockets), maxResponseBytes);
  }

  /** One POST; network errors and timeouts become retryable DeliveryErrors. */
  post(
    body: Uint8Array,
    headers: Readonly<Record<string, string>> = NO_HEADERS,
    url: URL = this.url,
  ): Promise<HttpResponse> {
    let prefix = this.prefix;
    let where = this.where;
    let pool = this.pool;
    const sameUrl = url === this.url || url.href === this.url.href;
    if (!sameUrl || !isEmpty(headers)) {
      where = `POST ${url.origin}${url.pathname}`;
      try {
        checkScheme(url);
        const all = merge(this.headers, headers);
        prefix = requestPrefix(url, isEmpty(headers) ? this.lines : headerLines(all), hostOverride(all));
      } catch (err) {
        return Promise.reject(new DeliveryError(`${where}: ${(err as Error).message}`, false));
      }
      if (url.origin !== this.url.origin) pool = this.poolFor(url);
    }
    const head = prefix + body.byteLength + '\r\n\r\n';
    const timeoutMs = this.timeoutMs;
    return new Promise<HttpResponse>((resolve, reject) => {
      pool.submit(new Exchange(head, body, where, resolve, reject, timeoutMs));
    });
  }

  /** Destroys every socket; requests still waiting or running fail (retryable). */
  close(): void {
    this.pool.close();
    for (const pool of this.others.values()) pool.close();
  }

  private poolFor(url: URL): Pool {
    let pool = this.others.get(url.origin);
    if (!pool) {
      pool = new Pool(new URL(url.origin), this.tls, Math.max(1, this.maxSockets), this.maxResponseBytes);
      this.others.set(url.origin, pool);
    }
    return pool;
  }
}

function checkScheme(url: URL): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`unsupported URL scheme ${JSON.stringify(url.protocol)} (expected http: or https:)`);
  }
}

/** Header names are case-insensitive: merged by lower-case name, later values winning. */
function merge(
  base: Readonly<Record<string, string>>,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in base) out[name.toLowerCase()] = base[name]!;
  for (const name in extra) out[name.toLowerCase()] = extra[name]!;
  return out;
}

/**
 * Turns a non-2xx response into a DeliveryError: 429/502/503/504 are transient (Retry-After
 * honoured), every other status is permanent. `message` extracts the server's text.
 */
export function httpFailure(
  res: HttpResponse,
  where: string,
  message: (res: HttpResponse) => string = (r) => r.body.toString('utf8'),
): DeliveryError {
  const text = quote(message(res) || res.body.toString('utf8'));
  const retryable = RETRYABLE_HTTP.has(res.status);
  const retryAfter = parseRetryAfter(headerValue(res.headers['retry-after']));
  return new DeliveryError(`${where}: HTTP ${res.status}${text ? `: ${text}` : ''}`, retryable, retryAfter);
}

export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Parses repeatable `key=value` (or `key: value`) header settings. */
export function parseHeaderList(
  values: readonly string[] | undefined,
  setting: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const m = /^\s*([^=:\s]+)\s*[=:]\s*(.*)$/.exec(v);
    if (!m) throw new Error(`${setting}: expected key=value (got ${JSON.stringify(v)})`);
    out[m[1]!.toLowerCase()] = m[2]!.trim();
  }
  return out;
}
