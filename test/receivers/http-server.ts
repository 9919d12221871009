import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** What a test receiver does with one request. */
export type Reply =
  | { readonly kind: 'ok' }
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly body?: string | Uint8Array;
      readonly headers?: Record<string, string>;
    }
  /** Destroys the socket after reading the request: the client sees a reset. */
  | { readonly kind: 'drop' }
  /** Never answers (until the server closes). */
  | { readonly kind: 'stall' }
  /** Answers 200 with a custom body (partial success, per-item errors). */
  | { readonly kind: 'body'; readonly body: string | Uint8Array; readonly contentType: string };

export interface ReceivedRequest {
  readonly index: number;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  /** Body after Content-Encoding: gzip is undone. */
  readonly body: Buffer;
  readonly rawBytes: number;
}

/**
 * A loopback HTTP server for sink tests: records every request and answers as `plan` says
 * (by request index, starting at 0), so tests inject faults deterministically.
 */
export class TestHttpServer {
  readonly requests: ReceivedRequest[] = [];
  /** TCP (or TLS) connections accepted so far: how many a client opened. */
  connections = 0;
  private readonly server: http.Server;
  private readonly stalled = new Set<http.ServerResponse>();
  private readonly scheme: 'http' | 'https';
  url = '';

  constructor(
    private readonly plan: (req: ReceivedRequest) => Reply,
    /** Builds the 200 answer for `ok` (content type, body). */
    private readonly okReply: (req: ReceivedRequest) => {
      contentType: string;
      body: string | Uint8Array;
    } = () => ({
      contentType: 'application/json',
      body: '{}',
    }),
    /** Serve HTTPS with this key and certificate (PEM). */
    tls?: { key: Buffer; cert: Buffer },
  ) {
    this.scheme = tls ? 'https' : 'http';
    this.server = tls
      ? https.createServer(tls, (req, res) => this.handle(req, res))
      : http.createServer((req, res) => this.handle(req, res));
    this.server.on(tls ? 'secureConnection' : 'connection', () => {
      this.connections++;
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `${this.scheme}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.stalled) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      const received: ReceivedRequest = {
        index: this.requests.length,
        path: req.url ?? '',
        headers: req.headers,
        body,
        rawBytes: raw.length,
      };
      this.requests.push(received);
      let reply: Reply;
      try {
        reply = this.plan(received);
      } catch (err) {
        reply = { kind: 'status', status: 400, body: (err as Error).message };
      }
      switch (reply.kind) {
        case 'ok': {
          const ok = this.okReply(received);
          res.writeHead(200, { 'content-type': ok.contentType });
          res.end(ok.body);
          return;
        }
        case 'status':
          res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
          res.end(reply.body ?? '');
          return;
        case 'body':
          res.writeHead(200, { 'content-type': reply.contentType });
          res.end(reply.body);
          return;
        case 'drop':
          req.socket.destroy();
          return;
        case 'stall':
          this.stalled.add(res);
          return;
      }
    });
  }
}
