import { Agent, type Dispatcher, ProxyAgent } from 'undici';
import { DeliveryError, networkError } from './errors.js';
import { checkScheme, type HttpPoster } from './http.js';
import { checkHeader } from './http1/head.js';
import type { HttpResponse, TlsFiles } from './http1/types.js';
import { type ProxyEnv, proxyFor, proxyLabel } from './proxy.js';
import { followRedirects, isFollowedRedirect } from './redirects.js';

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * POSTs through undici for the sinks whose requests are not the measured hot path (http,
 * elasticsearch, peers). undici costs about 0.3–0.5 ms more main-thread CPU per 1 MiB request
 * than the own client (HttpClient), against 8–13 ms of JSON serialization for the same body
 * (docs/sinks.md, Performance): not worth a hand-written client there.
 *
 * The contract is the own client's: keep-alive pools per origin with at most `maxSockets`
 * connections each, one deadline per request (0: none), response bodies cut at
 * `maxResponseBytes`, 307/308 followed (redirects.ts), failures as DeliveryErrors. Proxies come
 * from `proxies` (proxy.ts decides per URL): CONNECT for https origins, absolute-form requests
 * for http ones.
 */
export class UndiciClient implements HttpPoster {
  private readonly headers: Readonly<Record<string, string>>;
  /** One dispatcher per route: '' direct, else the proxy's URL. */
  private readonly dispatchers = new Map<string, Dispatcher>();
  private closed = false;

  constructor(
    readonly url: URL,
    baseHeaders: Readonly<Record<string, string>>,
    private readonly timeoutMs: number,
    private readonly maxSockets: number,
    private readonly tls: TlsFiles = {},
    private readonly maxResponseBytes = 4 * 1024 * 1024,
    private readonly proxies?: ProxyEnv,
  ) {
    checkScheme(url);
    this.headers = lowerCase(baseHeaders);
    // Validated here, once: a bad header is a configuration error, not a delivery failure.
    for (const name in this.headers) checkHeader(name, this.headers[name]!);
  }

  async post(
    body: Uint8Array,
    headers: Readonly<Record<string, string>> = NO_HEADERS,
    url: URL = this.url,
  ): Promise<HttpResponse> {
    const all = headers === NO_HEADERS ? this.headers : { ...this.headers, ...lowerCase(headers) };
    try {
      checkScheme(url);
      if (all !== this.headers) for (const name in all) checkHeader(name, all[name]!);
    } catch (err) {
      throw new DeliveryError(`POST ${url.origin}${url.pathname}: ${(err as Error).message}`, false);
    }
    const res = await this.send(body, url, all);
    if (!isFollowedRedirect(res.status)) return res;
    return followRedirects(res, url, all, this.where(url), (next, nextHeaders) =>
      this.send(body, next, nextHeaders),
    );
  }

  /** Destroys every connection; requests still running fail (retryable). */
  close(): void {
    this.closed = true;
    for (const d of this.dispatchers.values()) d.destroy().catch(() => undefined);
    this.dispatchers.clear();
  }

  private where(url: URL): string {
    const proxy = proxyFor(url, this.proxies);
    return `POST ${url.origin}${url.pathname}${proxy ? ` (via ${proxyLabel(proxy)})` : ''}`;
  }

  private async send(
    body: Uint8Array,
    url: URL,
    headers: Readonly<Record<string, string>>,
  ): Promise<HttpResponse> {
    const where = this.where(url);
    if (this.closed) throw new DeliveryError(`${where}: the HTTP client is closed`, false);
    const signal = this.timeoutMs > 0 ? AbortSignal.timeout(this.timeoutMs) : undefined;
    try {
      const res = await this.dispatcherFor(url).request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers: { ...headers, 'content-length': String(body.byteLength) },
        body,
        ...(signal ? { signal } : {}),
        // The one deadline above covers the whole exchange; 0 turns undici's own ones off.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      const chunks: Buffer[] = [];
      let kept = 0;
      // Read to the end (the connection stays reusable), keeping only the first bytes.
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        const room = this.maxResponseBytes - kept;
        if (room <= 0) continue;
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        chunks.push(part);
        kept += part.length;
      }
      return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks, kept) };
    } catch (err) {
      if (signal?.aborted) throw new DeliveryError(`${where}: no response within ${this.timeoutMs} ms`, true);
      if (this.closed) throw new DeliveryError(`${where}: the HTTP client was closed`, true);
      throw networkError(err, where);
    }
  }

  private dispatcherFor(url: URL): Dispatcher {
    const proxy = proxyFor(url, this.proxies);
    const key = proxy?.href ?? '';
    let d = this.dispatchers.get(key);
    if (!d) {
      const tls = {
        ...(this.tls.ca ? { ca: this.tls.ca } : {}),
        ...(this.tls.cert ? { cert: this.tls.cert } : {}),
        ...(this.tls.key ? { key: this.tls.key } : {}),
      };
      d = proxy
        ? new ProxyAgent({
            uri: proxy.href,
            connections: this.maxSockets,
            requestTls: tls,
            proxyTunnel: false,
          })
        : new Agent({ connections: this.maxSockets, connect: tls });
      this.dispatchers.set(key, d);
    }
    return d;
  }
}

function lowerCase(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) out[name.toLowerCase()] = headers[name]!;
  return out;
}
