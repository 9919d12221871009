import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { DeliveryError, networkError, parseRetryAfter, quote, RETRYABLE_HTTP } from './errors.js';

/** TLS material for https endpoints (PEM contents, not paths). */
export interface TlsFiles {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A keep-alive HTTP(S) client for one endpoint, with as many sockets as requests in flight. */
export class HttpClient {
  private readonly agent: http.Agent;
  private readonly lib: typeof http | typeof https;

  constructor(
    readonly url: URL,
    private readonly baseHeaders: Readonly<Record<string, string>>,
    private readonly timeoutMs: number,
    maxSockets: number,
    tls: TlsFiles = {},
    /** Response bodies beyond this are cut (we only need status and messages). */
    private readonly maxResponseBytes = 4 * 1024 * 1024,
  ) {
    const secure = url.protocol === 'https:';
    this.lib = secure ? https : http;
    this.agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets, ...tls })
      : new http.Agent({ keepAlive: true, maxSockets });
  }

  /** One POST; network errors and timeouts become retryable DeliveryErrors. */
  post(
    body: Uint8Array,
    headers: Readonly<Record<string, string>> = {},
    url: URL = this.url,
  ): Promise<HttpResponse> {
    const where = `POST ${url.origin}${url.pathname}`;
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: DeliveryError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      };
      const req = this.lib.request(url, {
        method: 'POST',
        agent: this.agent,
        headers: { ...this.baseHeaders, ...headers, 'content-length': String(body.byteLength) },
      });
      // One deadline for the whole exchange: connect, upload, response and its body.
      const timer =
        this.timeoutMs > 0
          ? setTimeout(() => {
              fail(new DeliveryError(`${where}: no response within ${this.timeoutMs} ms`, true));
              req.destroy();
            }, this.timeoutMs)
          : undefined;
      req.on('error', (err) => fail(networkError(err, where)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < this.maxResponseBytes) chunks.push(c);
          size += c.length;
        });
        res.on('error', (err) => fail(networkError(err, where)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
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
