import http from 'node:http';
import net from 'node:net';

/** Loopback only: the proxy refuses to reach anything else. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * A forward HTTP proxy on loopback for the tests: CONNECT tunnels (https targets) and
 * absolute-form requests (http targets), each counted so a test asserts that traffic really
 * went through it. `credentials` ("user:password") makes it answer 407 without them.
 */
export class ConnectProxy {
  /** CONNECT tunnels opened (answered 200). */
  tunnels = 0;
  /** CONNECT requests refused (407, 403). */
  refused = 0;
  /** Absolute-form requests forwarded. */
  forwarded = 0;
  /** The authority of every CONNECT and the URL of every forwarded request. */
  readonly targets: string[] = [];
  /** Proxy-Authorization values received. */
  readonly authorizations: string[] = [];
  url = '';
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly credentials?: string) {
    this.server = http.createServer((req, res) => this.forward(req, res));
    this.server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
      this.tunnel(req, socket, head),
    );
    this.server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** True when the request carries the expected credentials (or none are required). */
  private authorized(req: http.IncomingMessage): boolean {
    const given = req.headers['proxy-authorization'];
    if (given) this.authorizations.push(given);
    if (!this.credentials) return true;
    return given === `Basic ${Buffer.from(this.credentials).toString('base64')}`;
  }

  private tunnel(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    socket.on('error', () => undefined);
    const authority = req.url ?? '';
    this.targets.push(authority);
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(authority);
    if (!this.authorized(req)) {
      this.refused++;
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm="t"\r\n\r\n');
      return;
    }
    if (!m || !LOOPBACK.has(m[1]!)) {
      this.refused++;
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const host = m[1]!.replace(/^\[|\]$/g, '');
    const upstream = net.connect({ host, port: Number(m[2]) }, () => {
      this.tunnels++;
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    this.sockets.add(upstream);
    upstream.on('close', () => this.sockets.delete(upstream));
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('not an absolute-form request');
      return;
    }
    this.targets.push(target.href);
    if (!this.authorized(req)) {
      this.refused++;
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="t"' }).end();
      return;
    }
    if (!LOOPBACK.has(target.hostname) || target.protocol !== 'http:') {
      res.writeHead(403).end('loopback http only');
      return;
    }
    this.forwarded++;
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(
      {
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: Number(target.port || 80),
        method: req.method,
        path: target.pathname + target.search,
        headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => res.writeHead(502).end(err.message));
    req.pipe(upstream);
  }
}
