import { DeliveryError, parseRetryAfter, quote, RETRYABLE_HTTP } from './errors.js';
import { Exchange } from './http1/exchange.js';
import { headerLines, hostOverride, isEmpty, requestPrefix } from './http1/head.js';
import { Pool } from './http1/pool.js';
import type { HttpResponse, TlsFiles } from './http1/types.js';
import { type ProxyEnv, proxyAuthorization, proxyFor, proxyLabel } from './proxy.js';
import { followRedirects, isFollowedRedirect } from './redirects.js';

export type { HttpResponse, TlsFiles } from './http1/types.js';

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** What a sink needs of an HTTP client: POST a body, close. */
export interface HttpPoster {
  /** One POST (307/308 followed); network errors and timeouts become DeliveryErrors. */
  post(body: Uint8Array, headers?: Readonly<Record<string, string>>, url?: URL): Promise<HttpResponse>;
  /** Ends every connection; requests still running fail. */
  close(): void;
}

/** How requests to one origin travel: directly, to a forward proxy, or through a CONNECT tunnel. */
interface Route {
  readonly pool: Pool;
  /** Absolute-form request lines and the proxy's credentials (http origins behind a proxy). */
  readonly forward: boolean;
  readonly proxyLines: string;
  /** Appended to `POST <url>` in messages. */
  readonly via: string;
}

/**
 * A keep-alive HTTP/1.1 client for one endpoint, with at most `maxSockets` connections
 * (requests beyond wait their turn). Hand-written over node:net/node:tls rather than
 * node:http: with ~1 MiB bodies the ClientRequest/agent/parser machinery cost about a
 * quarter of a millisecond of main-thread CPU per request. The OTLP/HTTP sink's hot path uses
 * it; the other HTTP sinks use undici (`UndiciClient`). Behind a proxy (`proxies`), http
 * origins are reached with absolute-form requests to the proxy, https ones through CONNECT.
 */
export class HttpClient implements HttpPoster {
  private readonly headers: Readonly<Record<string, string>>;
  /** The head of a POST to `url` up to the content-length value. */
  private readonly prefix: string;
  private readonly where: string;
  private readonly route: Route;
  /** Routes to other origins a post() or a redirect names (each pool with its own `maxSockets`). */
  private readonly others = new Map<string, Route>();

  constructor(
    readonly url: URL,
    baseHeaders: Readonly<Record<string, string>>,
    private readonly timeoutMs: number,
    private readonly maxSockets: number,
    private readonly tls: TlsFiles = {},
    /** Response bodies beyond this are cut (we only need status and messages). */
    private readonly maxResponseBytes = 4 * 1024 * 1024,
    private readonly proxies?: ProxyEnv,
  ) {
    checkScheme(url);
    this.headers = merge(baseHeaders, NO_HEADERS);
    this.route = this.makeRoute(url);
    // Validated here, once: a bad header is a configuration error, not a delivery failure.
    this.prefix = this.prefixFor(url, this.route, this.headers);
    this.where = `POST ${url.origin}${url.pathname}${this.route.via}`;
  }

  /** One POST; network errors and timeouts become retryable DeliveryErrors; 307/308 are followed. */
  post(
    body: Uint8Array,
    headers: Readonly<Record<string, string>> = NO_HEADERS,
    url: URL = this.url,
  ): Promise<HttpResponse> {
    let prefix = this.prefix;
    let where = this.where;
    let route = this.route;
    let all = this.headers;
    const sameUrl = url === this.url || url.href === this.url.href;
    if (!sameUrl || !isEmpty(headers)) {
      try {
        checkScheme(url);
        if (url.origin !== this.url.origin) route = this.routeFor(url);
        all = isEmpty(headers) ? this.headers : merge(this.headers, headers);
        where = `POST ${url.origin}${url.pathname}${route.via}`;
        prefix = this.prefixFor(url, route, all);
      } catch (err) {
        return Promise.reject(
          new DeliveryError(`POST ${url.origin}${url.pathname}: ${(err as Error).message}`, false),
        );
      }
    }
    const sent = this.exchange(route.pool, prefix, body, where);
    return sent.then((res) =>
      isFollowedRedirect(res.status)
        ? followRedirects(res, url, all, where, (next, nextHeaders) => this.resend(body, next, nextHeaders))
        : res,
    );
  }

  /** Destroys every socket; requests still waiting or running fail (retryable). */
  close(): void {
    this.route.pool.close();
    for (const route of this.others.values()) route.pool.close();
  }

  private exchange(pool: Pool, prefix: string, body: Uint8Array, where: string): Promise<HttpResponse> {
    const head = prefix + body.byteLength + '\r\n\r\n';
    const timeoutMs = this.timeoutMs;
    return new Promise<HttpResponse>((resolve, reject) => {
      pool.submit(new Exchange(head, body, where, resolve, reject, timeoutMs));
    });
  }

  /** A redirect's next request: `headers` complete (base ones included). */
  private resend(
    body: Uint8Array,
    url: URL,
    headers: Readonly<Record<string, string>>,
  ): Promise<HttpResponse> {
    const route = url.origin === this.url.origin ? this.route : this.routeFor(url);
    const where = `POST ${url.origin}${url.pathname}${route.via}`;
    let prefix: string;
    try {
      prefix = this.prefixFor(url, route, headers);
    } catch (err) {
      return Promise.reject(new DeliveryError(`${where}: ${(err as Error).message}`, false));
    }
    return this.exchange(route.pool, prefix, body, where);
  }

  private prefixFor(url: URL, route: Route, headers: Readonly<Record<string, string>>): string {
    return requestPrefix(url, headerLines(headers) + route.proxyLines, hostOverride(headers), route.forward);
  }

  private routeFor(url: URL): Route {
    let route = this.others.get(url.origin);
    if (!route) {
      route = this.makeRoute(new URL(url.origin));
      this.others.set(url.origin, route);
    }
    return route;
  }

  private makeRoute(url: URL): Route {
    const sockets = Math.max(1, this.maxSockets);
    const proxy = proxyFor(url, this.proxies);
    if (!proxy) {
      return {
        pool: new Pool(url, this.tls, sockets, this.maxResponseBytes),
        forward: false,
        proxyLines: '',
        via: '',
      };
    }
    const via = ` (via ${proxyLabel(proxy)})`;
    if (url.protocol === 'https:') {
      return {
        pool: new Pool(url, this.tls, sockets, this.maxResponseBytes, proxy),
        forward: false,
        proxyLines: '',
        via,
      };
    }
    const auth = proxyAuthorization(proxy);
    return {
      pool: new Pool(new URL(proxy.origin), {}, sockets, this.maxResponseBytes),
      forward: true,
      proxyLines: auth ? `proxy-authorization: ${auth}\r\n` : '',
      via,
    };
  }
}

/** Throws unless the URL is http: or https:. */
export function checkScheme(url: URL): void {
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
 * honoured), every other status is permanent; a 3xx left (301/302/303, see redirects.ts) says so. `message` extracts the server's text.
 */
export function httpFailure(
  res: HttpResponse,
  where: string,
  message: (res: HttpResponse) => string = (r) => r.body.toString('utf8'),
): DeliveryError {
  if (res.status >= 300 && res.status < 400) {
    const location = headerValue(res.headers.location);
    return new DeliveryError(
      `${where}: HTTP ${res.status} redirect${location ? ` to ${location}` : ''}: not followed ` +
        '(a POST is resent only on 307 or 308, which keep the method and body); set the URL to the new location',
      false,
    );
  }
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
