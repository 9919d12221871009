import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import { DeliveryError } from '../../src/delivery/errors.js';
import { HttpClient } from '../../src/delivery/http.js';
import { requestPrefix } from '../../src/delivery/http1/head.js';
import { ResponseParser } from '../../src/delivery/http1/response-parser.js';
import { selfSignedCertificate } from '../receivers/tls.js';

/**
 * Waits until `done()` holds: socket events arrive late on a busy machine, so the bound is only
 * a safety net that turns a hang into a failed assertion, never a time window under test.
 */
async function until(done: () => boolean, ms = 30_000): Promise<void> {
  for (let waited = 0; !done() && waited < ms; waited += 10) await sleep(10);
}

const stops: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const s of stops.reverse()) await s();
});

function client(
  url: string,
  options: { maxSockets?: number; timeoutMs?: number; maxResponseBytes?: number } = {},
) {
  const c = new HttpClient(
    new URL(url),
    { 'user-agent': 'flowlens-test' },
    options.timeoutMs ?? 5000,
    options.maxSockets ?? 4,
    {},
    options.maxResponseBytes,
  );
  stops.push(() => c.close());
  return c;
}

/** Server-side view of the connections a client made. */
interface Tracked {
  url: string;
  port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Sockets still open on the server side. */
  readonly open: Set<net.Socket>;
}

function track(server: net.Server, tracked: Tracked): void {
  server.on('connection', (socket: net.Socket) => {
    tracked.connections++;
    tracked.open.add(socket);
    socket.on('close', () => tracked.open.delete(socket));
  });
}

async function listen(server: net.Server, host = '127.0.0.1', scheme = 'http'): Promise<Tracked> {
  const tracked: Tracked = { url: '', port: 0, connections: 0, open: new Set() };
  track(server, tracked);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  tracked.port = (server.address() as net.AddressInfo).port;
  tracked.url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${tracked.port}`;
  stops.push(async () => {
    for (const s of tracked.open) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return tracked;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

/** A node:http server that reads each request's body, then calls `handler`. */
async function httpServer(handler: Handler, configure?: (s: http.Server) => void) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks)));
  });
  configure?.(server);
  return listen(server);
}

interface RawRequest {
  readonly head: string;
  readonly body: Buffer;
}

/** Reads content-length framed requests off a raw socket. */
function readRequests(socket: net.Socket, onRequest: (req: RawRequest) => void): void {
  let buf = Buffer.alloc(0);
  let want = -1;
  let head = '';
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      if (want < 0) {
        const i = buf.indexOf('\r\n\r\n');
        if (i < 0) return;
        head = buf.toString('latin1', 0, i);
        buf = buf.subarray(i + 4);
        want = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
      }
      if (buf.length < want) return;
      const body = buf.subarray(0, want);
      buf = buf.subarray(want);
      want = -1;
      onRequest({ head, body });
    }
  });
}

/** A raw TCP server answering each request with whatever `reply` writes. */
async function rawServer(reply: (req: RawRequest, socket: net.Socket, n: number) => void) {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    let n = 0;
    readRequests(socket, (req) => reply(req, socket, n++));
  });
  return listen(server);
}

/** Writes `text` one byte per TCP segment (nodelay, a pause between writes). */
async function dribble(socket: net.Socket, text: string): Promise<void> {
  socket.setNoDelay(true);
  for (const byte of Buffer.from(text, 'latin1')) {
    socket.write(Buffer.of(byte));
    await sleep(1);
  }
}

const ok = (body = 'ok', extra = '') =>
  `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

async function rejection(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof DeliveryError, `expected a DeliveryError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the request to fail');
}

describe('http1 client: keep-alive pool', () => {
  it('sends the request head and body as given and reuses one connection for sequential posts', async () => {
    const seen: Array<{ headers: http.IncomingHttpHeaders; url: string; body: string }> = [];
    const rx = await httpServer((req, res, body) => {
      seen.push({ headers: req.headers, url: req.url ?? '', body: body.toString() });
      res.writeHead(200, { 'content-type': 'text/plain', 'x-n': String(seen.length) });
      res.end(`got ${body.length}`);
    });
    const c = client(`${rx.url}/v1/logs?x=1`);
    for (let i = 0; i < 5; i++) {
      const res = await c.post(
        Buffer.from(`body-${i}`),
        i === 2 ? { 'X-Extra': 'yes', 'User-Agent': 'per-request' } : {},
      );
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-n'], String(i + 1));
      assert.equal(res.headers['content-type'], 'text/plain');
      assert.equal(res.body.toString(), `got ${6}`);
    }
    assert.equal(rx.connections, 1);
    assert.deepEqual(
      seen.map((s) => s.body),
      ['body-0', 'body-1', 'body-2', 'body-3', 'body-4'],
    );
    assert.equal(seen[0]!.url, '/v1/logs?x=1');
    assert.equal(seen[0]!.headers.host, `127.0.0.1:${rx.port}`);
    assert.equal(seen[0]!.headers['content-length'], '6');
    assert.equal(seen[0]!.headers['user-agent'], 'flowlens-test');
    // Per-request headers are added and override the base ones, whatever their case.
    assert.equal(seen[2]!.headers['x-extra'], 'yes');
    assert.equal(seen[2]!.headers['user-agent'], 'per-request');
    assert.equal(seen[3]!.headers['x-extra'], undefined);
  });

  it('never opens more than maxSockets connections; waiting requests go in FIFO order', async () => {
    let running = 0;
    let peak = 0;
    const order: string[] = [];
    const rx = await httpServer((_req, res, body) => {
      order.push(body.toString());
      running++;
      peak = Math.max(peak, running);
      setTimeout(() => {
        running--;
        res.end(body);
      }, 15);
    });
    const two = client(rx.url, { maxSockets: 2 });
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => two.post(Buffer.from(`r${i}`))));
    assert.deepEqual(
      replies.map((r) => r.body.toString()),
      Array.from({ length: 10 }, (_, i) => `r${i}`),
    );
    assert.equal(peak, 2);
    assert.equal(rx.connections, 2);

    order.length = 0;
    const one = client(rx.url, { maxSockets: 1 });
    await Promise.all(Array.from({ length: 6 }, (_, i) => one.post(Buffer.from(`q${i}`))));
    assert.deepEqual(order, ['q0', 'q1', 'q2', 'q3', 'q4', 'q5']);
    assert.equal(rx.connections, 3);
  });

  it('a connection: close response makes the next request use a new socket', async () => {
    const rx = await httpServer((_req, res) => {
      res.setHeader('connection', 'close');
      res.end('bye');
    });
    const c = client(rx.url);
    assert.equal((await c.post(Buffer.from('a'))).body.toString(), 'bye');
    assert.equal((await c.post(Buffer.from('b'))).body.toString(), 'bye');
    assert.equal(rx.connections, 2);
  });

  it('HTTP/1.0 answers are reused only with connection: keep-alive', async () => {
    const rx = await rawServer((_req, socket, n) => {
      const keep = n === 0 ? 'connection: keep-alive\r\n' : '';
      socket.write(`HTTP/1.0 200 OK\r\n${keep}content-length: 2\r\n\r\nok`);
      if (!keep) socket.end();
    });
    const c = client(rx.url);
    for (let i = 0; i < 3; i++) assert.equal((await c.post(Buffer.from('x'))).status, 200);
    // 1st on socket A (kept), 2nd on A (then closed by its HTTP/1.0 answer), 3rd on socket B.
    assert.equal(rx.connections, 2);
  });

  it('a server closing an idle keep-alive socket costs nothing: the next request gets a fresh one', async () => {
    const rx = await httpServer((_req, res) => res.end('fine'));
    const c = client(rx.url);
    assert.equal((await c.post(Buffer.from('1'))).status, 200);
    for (const s of rx.open) s.destroy();
    await sleep(200);
    const res = await c.post(Buffer.from('2'));
    assert.equal(res.body.toString(), 'fine');
    assert.equal(rx.connections, 2);
  });

  it('honours keep-alive: timeout=N by closing the idle socket a second early', async () => {
    // Two sockets told timeout=2 and timeout=3: the client closes each a second before the
    // server would, so the first closes first, no earlier than a second after its answer.
    // (Without the hint both would stay open 30 s.) Only the order and a lower bound are
    // asserted: timers never fire early, however loaded the machine.
    const closed: string[] = [];
    let firstAnsweredAt = 0;
    let firstClosedAfter = -1;
    const rx = await rawServer((req, socket) => {
      const seconds = req.body.toString();
      socket.on('end', () => {
        closed.push(seconds);
        if (seconds === '2') firstClosedAfter = performance.now() - firstAnsweredAt;
      });
      socket.write(ok('ok', `keep-alive: timeout=${seconds}\r\n`));
      if (seconds === '2') firstAnsweredAt = performance.now();
    });
    const c = client(rx.url, { maxSockets: 2 });
    const [a, b] = await Promise.all([c.post(Buffer.from('2')), c.post(Buffer.from('3'))]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.equal(rx.connections, 2);
    await until(() => closed.length === 2);
    assert.deepEqual(closed, ['2', '3'], 'each closed by the client, in the order of their hints');
    assert.ok(firstClosedAfter >= 900, `the timeout=2 socket closed ${firstClosedAfter} ms after its answer`);
  });

  it('idle sockets do not keep the process alive', async () => {
    const rx = await httpServer(
      (_req, res) => res.end('ok'),
      (s) => {
        s.keepAliveTimeout = 60_000;
      },
    );
    // The child lists what keeps its event loop alive once the answer is in: an idle pooled
    // socket must not be among it, so the child exits by itself with the socket still open.
    const script = `
      const { HttpClient } = await import(${JSON.stringify(new URL('../../src/delivery/http.ts', import.meta.url).href)});
      const c = new HttpClient(new URL(process.env.TARGET), {}, 5000, 2);
      const res = await c.post(Buffer.from('x'));
      await new Promise((r) => setImmediate(r));
      console.log(JSON.stringify({ status: res.status, alive: process.getActiveResourcesInfo() }));`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        // a safety net only: a child kept alive by its socket would live 30 s (the idle limit)
        { env: { ...process.env, TARGET: rx.url }, timeout: 120_000 },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      ),
    );
    const report = JSON.parse(out.trim()) as { status: number; alive: string[] };
    assert.equal(report.status, 200);
    assert.ok(!report.alive.includes('TCPSocketWrap'), `still alive: ${report.alive.join(', ')}`);
    assert.equal(rx.connections, 1);
  });
});

describe('http1 client: reading responses', () => {
  it('reads a chunked body with extensions and trailers, then reuses the socket', async () => {
    const rx = await rawServer((_req, socket) => {
      socket.write(
        'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: x-sum\r\n\r\n' +
          '5;name=value;flag\r\nhello\r\n6\r\n world\r\nB \r\n, chunked!\n\r\n0\r\nx-sum: 42\r\nx-more: yes\r\n\r\n',
      );
    });
    const c = client(rx.url);
    for (let i = 0; i < 2; i++) {
      const res = await c.post(Buffer.from('x'));
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), 'hello world, chunked!\n');
      assert.equal(res.headers['x-sum'], undefined, 'trailers are not headers');
    }
    assert.equal(rx.connections, 1);
  });

  it('reads until close when neither content-length nor chunked is given', async () => {
    const rx = await rawServer((_req, socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nall of it, ');
      setTimeout(() => socket.end('until the end'), 20);
    });
    const c = client(rx.url);
    for (let i = 0; i < 2; i++) {
      const res = await c.post(Buffer.from('x'));
      assert.equal(res.body.toString(), 'all of it, until the end');
    }
    assert.equal(rx.connections, 2);
  });

  it('skips 100 Continue and 103 Early Hints before the final response', async () => {
    const rx = await rawServer((_req, socket) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\n');
      setTimeout(() => {
        socket.write(
          'HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n' + ok('final', 'x-final: yes\r\n'),
        );
      }, 10);
    });
    const c = client(rx.url);
    const res = await c.post(Buffer.from('x'));
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-final'], 'yes');
    assert.equal(res.headers.link, undefined);
    assert.equal(res.body.toString(), 'final');
    assert.equal((await c.post(Buffer.from('y'))).body.toString(), 'final');
    assert.equal(rx.connections, 1);
  });

  it('parses a response that arrives one byte per TCP segment', async () => {
    const rx = await rawServer((_req, socket, n) => {
      void dribble(
        socket,
        n === 0
          ? 'HTTP/1.1 201 Created\r\nset-cookie: a=1\r\nset-cookie: b=2\r\nx-list: 1\r\nx-list: 2\r\n' +
              'transfer-encoding: chunked\r\n\r\n3;e=1\r\nabc\r\n2\r\nde\r\n0\r\nt: 1\r\n\r\n'
          : ok('second'),
      );
    });
    const c = client(rx.url);
    const res = await c.post(Buffer.from('x'));
    assert.equal(res.status, 201);
    assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(res.headers['x-list'], '1, 2');
    assert.equal(res.body.toString(), 'abcde');
    assert.equal((await c.post(Buffer.from('y'))).body.toString(), 'second');
    assert.equal(rx.connections, 1);
  });

  it('keeps maxResponseBytes of a big body, reads the rest and keeps the socket', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 'abcdefgh');
    const rx = await httpServer((req, res) => {
      if (req.url === '/chunked') {
        // No content-length: node:http sends it chunked.
        for (let i = 0; i < big.length; i += 256 * 1024) res.write(big.subarray(i, i + 256 * 1024));
        res.end();
      } else {
        res.end(big);
      }
    });
    const c = client(rx.url, { maxResponseBytes: 1000 });
    for (const path of ['/length', '/chunked', '/length']) {
      const res = await c.post(Buffer.from('x'), {}, new URL(`${rx.url}${path}`));
      assert.equal(res.status, 200);
      assert.equal(res.body.length, 1000);
      assert.deepEqual(res.body, big.subarray(0, 1000));
    }
    assert.equal(rx.connections, 1);
  });

  it('takes an early answer (413 before the body is read) and does not reuse that socket', async () => {
    let bodyBytesRead = 0;
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      let head = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        bodyBytesRead = head.length - end - 4;
        // Stop reading: the client's upload stalls once the socket buffers are full.
        socket.off('data', onData);
        socket.pause();
        // No connection: close and no FIN: only the unfinished upload says the socket is spent.
        const text = 'payload too large';
        socket.write(`HTTP/1.1 413 Payload Too Large\r\ncontent-length: ${text.length}\r\n\r\n${text}`);
        // Read (and drop) again later, so a close by the client is noticed here.
        setTimeout(() => socket.resume(), 100);
      };
      socket.on('data', onData);
    });
    const rx = await listen(server);
    const body = Buffer.alloc(32 * 1024 * 1024, 1);
    const c = client(rx.url);
    const res = await c.post(body);
    assert.equal(res.status, 413);
    assert.equal(res.body.toString(), 'payload too large');
    assert.ok(bodyBytesRead < body.length);
    const again = await c.post(Buffer.from('small'));
    assert.equal(again.status, 413);
    assert.equal(rx.connections, 2);
    await until(() => rx.open.size === 1);
    assert.equal(rx.open.size, 1, 'the first socket was closed by the client');
  });
});

describe('http1 client: failures', () => {
  it('a stalled exchange times out (retryable) and its socket is destroyed', async () => {
    const rx = await rawServer(() => undefined);
    const c = client(rx.url, { timeoutMs: 150, maxSockets: 1 });
    const [first, queued] = await Promise.all([
      rejection(c.post(Buffer.from('x'))),
      rejection(c.post(Buffer.from('y'))),
    ]);
    assert.equal(first.retryable, true);
    assert.equal(first.message, `POST ${rx.url}/: no response within 150 ms`);
    // The second waited for the only socket; the same deadline covers waiting.
    assert.match(queued.message, /no response within 150 ms/);
    await until(() => rx.open.size === 0);
    assert.equal(rx.open.size, 0, 'the client destroyed the stalled socket');
  });

  it('connection refused is retryable and names ECONNREFUSED', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const err = await rejection(client(`http://127.0.0.1:${port}/v1/logs`).post(Buffer.from('x')));
    assert.equal(err.retryable, true);
    assert.match(err.message, new RegExp(`^POST http://127\\.0\\.0\\.1:${port}/v1/logs: ECONNREFUSED`));
  });

  it('a connection closed before or during the response is a retryable ECONNRESET', async () => {
    let requests = 0;
    const rx = await rawServer((_req, socket) => {
      if (requests++ === 0) socket.destroy();
      else socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort');
    });
    const c = client(rx.url);
    const before = await rejection(c.post(Buffer.from('x')));
    assert.equal(before.retryable, true);
    assert.match(before.message, /ECONNRESET/);
    const during = await rejection(c.post(Buffer.from('x')));
    assert.match(during.message, /ECONNRESET: connection closed before the end of the response/);
  });

  for (const [what, response, message] of [
    [
      'a malformed status line',
      'HTTP/1.1 OK\r\n\r\n',
      /invalid HTTP response: malformed status line "HTTP\/1\.1 OK"/,
    ],
    ['another protocol', 'SSH-2.0-OpenSSH_9.6\r\n\r\n', /malformed status line "SSH-2\.0-OpenSSH_9\.6"/],
    [
      'a bad chunk size',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n',
      /malformed chunk size line "zz"/,
    ],
    [
      'conflicting content-lengths',
      'HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab',
      /conflicting content-length headers \(1 and 2\)/,
    ],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nbroken\r\n\r\n', /malformed header line "broken"/],
  ] as const) {
    it(`${what} is a clear, retryable error`, async () => {
      const rx = await rawServer((_req, socket) => socket.write(response));
      const c = client(rx.url);
      const err = await rejection(c.post(Buffer.from('x')));
      assert.equal(err.retryable, true);
      assert.match(err.message, new RegExp(`^POST ${rx.url}/: `));
      assert.match(err.message, message);
      await until(() => rx.open.size === 0);
      assert.equal(rx.open.size, 0, 'the socket is not kept');
    });
  }

  it('rejects bad header names and values, naming the header', async () => {
    const url = new URL('http://127.0.0.1:9/');
    assert.throws(
      () => new HttpClient(url, { 'bad name': 'x' }, 0, 1),
      /invalid HTTP header name "bad name"/,
    );
    assert.throws(() => new HttpClient(url, { 'x-a:b': 'x' }, 0, 1), /invalid HTTP header name "x-a:b"/);
    for (const value of ['a\r\nx-injected: 1', 'a\nb', 'nul\0', 'snow ☃']) {
      assert.throws(
        () => new HttpClient(url, { 'x-token': value }, 0, 1),
        /invalid value for HTTP header "x-token"/,
      );
    }
    assert.throws(() => new HttpClient(new URL('ftp://h/'), {}, 0, 1), /unsupported URL scheme "ftp:"/);
    const c = new HttpClient(url, { 'x-ok': 'fine\tvalue é' }, 0, 1);
    const err = await rejection(c.post(Buffer.from('x'), { 'x-per': 'a\rb' }));
    assert.equal(err.retryable, false);
    assert.match(err.message, /^POST http:\/\/127\.0\.0\.1:9\/: invalid value for HTTP header "x-per"/);
    c.close();
  });

  it('close() fails running and waiting requests and hangs nothing', async () => {
    const rx = await rawServer(() => undefined);
    const c = client(rx.url, { maxSockets: 1, timeoutMs: 0 });
    const pending = [c.post(Buffer.from('1')), c.post(Buffer.from('2')), c.post(Buffer.from('3'))];
    await until(() => rx.connections === 1);
    await sleep(30);
    assert.equal(rx.connections, 1);
    c.close();
    const errors = await Promise.all(pending.map(rejection));
    for (const err of errors) {
      assert.equal(err.retryable, true);
      assert.match(err.message, /the HTTP client was closed/);
    }
    const after = await rejection(c.post(Buffer.from('4')));
    assert.match(after.message, /the HTTP client is closed/);
    await until(() => rx.open.size === 0);
    assert.equal(rx.open.size, 0);
    assert.equal(rx.connections, 1);
  });
});

describe('http1 client: TLS and addresses', () => {
  const tls = selfSignedCertificate();
  if (tls) stops.push(() => tls.cleanup());

  it('https: trusts the given CA, keeps the connection alive and offers http/1.1 by ALPN', {
    skip: tls ? false : 'openssl not available',
  }, async () => {
    const seen: Array<{ alpn: string | false | null; servername: string | false | null }> = [];
    const server = https.createServer(
      { key: tls!.key, cert: tls!.cert, ALPNProtocols: ['http/1.1'] },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        seen.push({ alpn: socket.alpnProtocol, servername: socket.servername });
        req.resume();
        req.on('end', () => res.end('secure'));
      },
    );
    const rx = await listen(server, '127.0.0.1', 'https');
    const trusted = new HttpClient(new URL(rx.url), {}, 5000, 2, { ca: tls!.cert });
    stops.push(() => trusted.close());
    for (let i = 0; i < 3; i++)
      assert.equal((await trusted.post(Buffer.from('x'))).body.toString(), 'secure');
    assert.equal(rx.connections, 1);
    assert.equal(seen[0]!.alpn, 'http/1.1');
    // SNI only for host names, never for an IP literal.
    assert.equal(seen[0]!.servername, false);
    const byName = new HttpClient(new URL(`https://localhost:${rx.port}/`), {}, 5000, 1, { ca: tls!.cert });
    stops.push(() => byName.close());
    assert.equal((await byName.post(Buffer.from('x'))).status, 200);
    assert.equal(seen.at(-1)!.servername, 'localhost');

    const untrusted = new HttpClient(new URL(rx.url), {}, 5000, 1);
    stops.push(() => untrusted.close());
    const err = await rejection(untrusted.post(Buffer.from('x')));
    // no retry cures an untrusted certificate (test/delivery/outbound.test.ts has every TLS case)
    assert.equal(err.retryable, false);
    assert.match(err.message, /self[- ]signed/i);
  });

  it('talks to an IPv6 literal ([::1]), keeping the brackets in the Host header', async (t) => {
    let hostHeader = '';
    const server = http.createServer((req, res) => {
      hostHeader = req.headers.host ?? '';
      req.resume();
      req.on('end', () => res.end('v6'));
    });
    let rx: Tracked;
    try {
      rx = await listen(server, '::1');
    } catch {
      t.skip('no IPv6 loopback on this machine');
      return;
    }
    const c = client(`${rx.url}/v1/logs`);
    assert.equal((await c.post(Buffer.from('x'))).body.toString(), 'v6');
    assert.equal(hostHeader, `[::1]:${rx.port}`);
  });
});

describe('http1 request heads and response parser', () => {
  it('names the port in Host only when the URL has a non-default one', () => {
    assert.equal(
      requestPrefix(new URL('http://example.com:80/a?b=1'), 'x-a: 1\r\n'),
      'POST /a?b=1 HTTP/1.1\r\nhost: example.com\r\nx-a: 1\r\ncontent-length: ',
    );
    assert.equal(
      requestPrefix(new URL('https://[::1]:4318/v1/logs'), ''),
      'POST /v1/logs HTTP/1.1\r\nhost: [::1]:4318\r\ncontent-length: ',
    );
  });

  it('folds obsolete continuation lines, merges repeats like node:http and flags extra bytes', () => {
    const p = new ResponseParser(100);
    const done = p.push(
      Buffer.from(
        'HTTP/1.1 200 OK\r\nx-fold: a\r\n  b\r\ncontent-type: one\r\ncontent-type: two\r\n' +
          'keep-alive: timeout=7, max=3\r\ncontent-length: 2\r\n\r\nhiEXTRA',
      ),
    );
    assert.equal(done, true);
    assert.equal(p.headers['x-fold'], 'a b');
    assert.equal(p.headers['content-type'], 'one');
    assert.equal(p.keepAliveSeconds, 7);
    assert.equal(p.body().toString(), 'hi');
    assert.equal(p.extra, true);
  });

  it('204 has no body whatever its headers say; connection: close is seen in any case', () => {
    const p = new ResponseParser(100);
    assert.equal(
      p.push(Buffer.from('HTTP/1.1 204 No Content\r\nConnection: Close\r\ncontent-length: 5\r\n\r\n')),
      true,
    );
    assert.equal(p.status, 204);
    assert.equal(p.keepAlive, false);
    assert.equal(p.body().length, 0);
  });

  it('a head like the last one is read alike, body framing included; a different one anew', () => {
    const p = new ResponseParser(100);
    const ok = 'HTTP/1.1 200 OK\r\ncontent-type: a/b\r\nkeep-alive: timeout=9\r\ncontent-length: 3\r\n\r\n';
    for (const body of ['abc', 'xyz']) {
      p.reset();
      assert.equal(p.push(Buffer.from(`${ok}${body}`)), true);
      assert.equal(p.status, 200);
      assert.equal(p.headers['content-type'], 'a/b');
      assert.equal(p.keepAliveSeconds, 9);
      assert.equal(p.keepAlive, true);
      assert.equal(p.body().toString(), body);
    }
    // the same head, the body in a later push: framed by its length as before
    p.reset();
    assert.equal(p.push(Buffer.from(ok)), false);
    assert.equal(p.push(Buffer.from('12')), false);
    assert.equal(p.push(Buffer.from('3')), true);
    assert.equal(p.body().toString(), '123');
    p.reset();
    assert.equal(
      p.push(
        Buffer.from('HTTP/1.1 503 Busy\r\nretry-after: 2\r\nconnection: close\r\ncontent-length: 1\r\n\r\n!'),
      ),
      true,
    );
    assert.equal(p.status, 503);
    assert.equal(p.headers['retry-after'], '2');
    assert.equal(p.headers['content-type'], undefined);
    assert.equal(p.keepAlive, false);
    assert.equal(p.keepAliveSeconds, undefined);
    assert.equal(p.body().toString(), '!');
  });

  it('rejects a response head beyond 64 KiB', () => {
    const p = new ResponseParser(100);
    p.push(Buffer.from('HTTP/1.1 200 OK\r\n'));
    assert.throws(() => {
      for (let i = 0; i < 100; i++) p.push(Buffer.from(`x-pad-${i}: ${'y'.repeat(1000)}\r\n`));
    }, /response head larger than 65536 bytes/);
  });
});
