import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../src/config/options.js';
import { DeliveryError } from '../../src/delivery/errors.js';
import { HttpClient, type HttpPoster, httpFailure, type TlsFiles } from '../../src/delivery/http.js';
import { bypassed, type ProxyEnv, proxyEnv, proxyFor } from '../../src/delivery/proxy.js';
import { MAX_REDIRECTS } from '../../src/delivery/redirects.js';
import { UndiciClient } from '../../src/delivery/undici-client.js';
import { ConnectProxy } from '../receivers/connect-proxy.js';
import { selfSignedCertificate } from '../receivers/tls.js';

const stops: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const s of stops.reverse()) await s();
});

const tls = selfSignedCertificate();
if (tls) stops.push(() => tls.cleanup());
const noTls = tls ? false : 'openssl not available';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

type Answer = (req: Seen, res: http.ServerResponse) => void;

/** A loopback HTTP or HTTPS server that records each request and answers as `answer` says. */
async function server(answer: Answer = (_r, res) => res.end('ok'), cert?: { key: Buffer; cert: Buffer }) {
  const seen: Seen[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(s);
      answer(s, res);
    });
  };
  const srv = cert ? https.createServer(cert, handler) : http.createServer(handler);
  let connections = 0;
  srv.on(cert ? 'secureConnection' : 'connection', () => connections++);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  stops.push(async () => {
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
  });
  return {
    seen,
    port,
    url: `${cert ? 'https' : 'http'}://127.0.0.1:${port}`,
    connections: () => connections,
  };
}

async function proxy(credentials?: string): Promise<ConnectProxy> {
  const p = await new ConnectProxy(credentials).start();
  stops.push(() => p.stop());
  return p;
}

type MakeClient = (
  url: string,
  options?: { headers?: Record<string, string>; tls?: TlsFiles; proxies?: ProxyEnv },
) => HttpPoster;

/** The two clients behind the sinks: each runs the same cases. */
const CLIENTS: ReadonlyArray<readonly [string, MakeClient]> = [
  [
    'own HTTP/1.1 client (otlp)',
    (url, o = {}) => {
      const c = new HttpClient(new URL(url), o.headers ?? {}, 5000, 2, o.tls ?? {}, undefined, o.proxies);
      stops.push(() => c.close());
      return c;
    },
  ],
  [
    'undici client (http, elasticsearch, peers)',
    (url, o = {}) => {
      const c = new UndiciClient(new URL(url), o.headers ?? {}, 5000, 2, o.tls ?? {}, undefined, o.proxies);
      stops.push(() => c.close());
      return c;
    },
  ],
];

async function rejection(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof DeliveryError, `expected a DeliveryError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the request to fail');
}

describe('proxy settings', () => {
  it('reads lower-case before upper-case variables and takes a bare host:port as http', () => {
    const env = proxyEnv({ HTTPS_PROXY: 'http://upper:1', https_proxy: 'lower:3128', NO_PROXY: 'a.example' });
    assert.deepEqual(env, { httpsProxy: 'lower:3128', noProxy: 'a.example' });
    assert.equal(proxyFor(new URL('https://b.example/x'), env)?.href, 'http://lower:3128/');
    // https targets use HTTPS_PROXY only, http targets HTTP_PROXY only (as curl does)
    assert.equal(proxyFor(new URL('http://b.example/x'), env), undefined);
    assert.equal(proxyFor(new URL('https://a.example/x'), env), undefined);
  });

  it('a proxy URL that cannot be used is a ConfigError naming the variable', () => {
    assert.throws(
      () => proxyEnv({ HTTPS_PROXY: 'socks5://p:1080' }),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /^HTTPS_PROXY: only http:\/\/ proxies are supported/);
        return true;
      },
    );
    assert.throws(() => proxyEnv({ http_proxy: 'http://[bad' }), /^ConfigError: http_proxy: not a proxy URL/);
  });

  it('NO_PROXY matches hosts, their subdomains, ports, IP addresses and *', () => {
    const cases: Array<[string, string, boolean]> = [
      ['https://es.internal:9200/', 'internal', true],
      ['https://es.internal:9200/', '.internal', true],
      ['https://es.internal:9200/', '*.internal', true],
      ['https://notinternal:9200/', 'internal', false],
      ['https://es.internal:9200/', 'es.internal:9201', false],
      ['https://es.internal:9200/', 'other, es.internal:9200', true],
      ['https://es.internal/', 'es.internal:443', true],
      ['http://127.0.0.1:4318/', 'localhost 127.0.0.1', true],
      ['http://[::1]:4318/', '[::1]', true],
      ['http://[::1]:4318/', '::1', true],
      ['http://anything/', '*', true],
      ['http://anything/', '', false],
    ];
    for (const [url, noProxy, expected] of cases) {
      assert.equal(
        bypassed(new URL(url), noProxy),
        expected,
        `${url} with NO_PROXY=${JSON.stringify(noProxy)}`,
      );
    }
  });
});

for (const [name, make] of CLIENTS) {
  describe(`${name}: proxies`, () => {
    it('reaches an https origin through a CONNECT tunnel, kept alive for later requests', {
      skip: noTls,
    }, async () => {
      const rx = await server(undefined, tls);
      const px = await proxy();
      const c = make(`${rx.url}/v1/logs`, { tls: { ca: tls!.cert }, proxies: { httpsProxy: px.url } });
      for (let i = 0; i < 4; i++) assert.equal((await c.post(Buffer.from(`b${i}`))).status, 200);
      // every connection the server accepted came through a tunnel, and tunnels were reused
      // (at most the client's two sockets: undici may open the second one early)
      assert.equal(rx.connections(), px.tunnels);
      assert.ok(px.tunnels >= 1 && px.tunnels <= 2, `${px.tunnels} tunnels for 4 requests`);
      assert.deepEqual(new Set(px.targets), new Set([`127.0.0.1:${rx.port}`]));
      assert.deepEqual(
        rx.seen.map((s) => s.body),
        ['b0', 'b1', 'b2', 'b3'],
      );
    });

    it('sends absolute-form requests to the proxy for an http origin', async () => {
      const rx = await server();
      const px = await proxy();
      const c = make(`${rx.url}/bulk?x=1`, { proxies: { httpProxy: px.url } });
      for (let i = 0; i < 2; i++) assert.equal((await c.post(Buffer.from('x'))).status, 200);
      assert.equal(px.forwarded, 2);
      assert.equal(px.tunnels, 0);
      assert.equal(px.targets[0], `${rx.url}/bulk?x=1`);
      assert.equal(rx.seen.length, 2);
      assert.equal(rx.seen[0]!.url, '/bulk?x=1');
    });

    it('NO_PROXY bypasses the proxy', { skip: noTls }, async () => {
      const rx = await server(undefined, tls);
      const plain = await server();
      const px = await proxy();
      const proxies = { httpsProxy: px.url, httpProxy: px.url, noProxy: 'example.test, 127.0.0.1' };
      assert.equal(
        (await make(rx.url, { tls: { ca: tls!.cert }, proxies }).post(Buffer.from('a'))).status,
        200,
      );
      assert.equal((await make(plain.url, { proxies }).post(Buffer.from('b'))).status, 200);
      assert.equal(px.tunnels + px.forwarded + px.targets.length, 0, 'the proxy saw nothing');
      assert.equal(rx.seen.length, 1);
      assert.equal(plain.seen.length, 1);
    });

    it('sends the proxy URL credentials; the proxy never sees them missing', async () => {
      const rx = await server();
      const px = await proxy('me:s3cret');
      const c = make(rx.url, { proxies: { httpProxy: px.url.replace('//', '//me:s3cret@') } });
      assert.equal((await c.post(Buffer.from('x'))).status, 200);
      assert.deepEqual(px.authorizations, [`Basic ${Buffer.from('me:s3cret').toString('base64')}`]);
      assert.equal(rx.seen[0]!.headers['proxy-authorization'], undefined, 'not passed on to the origin');
    });

    it('a proxy asking for credentials is a permanent failure', { skip: noTls }, async () => {
      const rx = await server(undefined, tls);
      const px = await proxy('me:s3cret');
      const c = make(rx.url, { tls: { ca: tls!.cert }, proxies: { httpsProxy: px.url } });
      const err = await rejection(c.post(Buffer.from('x')));
      assert.match(err.message, /407/);
      assert.equal(px.refused, 1);
      assert.equal(rx.seen.length, 0);
      if (name.startsWith('own')) {
        assert.equal(err.retryable, false);
        assert.match(
          err.message,
          /via proxy http:\/\/127\.0\.0\.1:\d+\): proxy: CONNECT 127\.0\.0\.1:\d+ answered 407 Proxy Authentication Required \(give credentials in the proxy URL/,
        );
      }
    });

    it('an unreachable proxy is a retryable error that names it', async () => {
      const px = await proxy();
      const url = px.url;
      await px.stop();
      const c = make('http://127.0.0.1:9/x', { proxies: { httpProxy: url } });
      const err = await rejection(c.post(Buffer.from('x')));
      assert.equal(err.retryable, true);
      assert.match(err.message, new RegExp(`via proxy ${url.replace(/[.]/g, '\\.')}\\).*ECONNREFUSED`));
    });
  });

  describe(`${name}: redirects`, () => {
    it('follows 307 and 308 with the same method and body; Authorization stays with its origin', async () => {
      const target = await server();
      const rx = await server((req, res) => {
        if (req.url === '/old') res.writeHead(307, { location: '/new' }).end();
        else if (req.url === '/new') res.writeHead(308, { location: `${target.url}/final` }).end();
        else res.end('?');
      });
      const c = make(`${rx.url}/old`, { headers: { authorization: 'Bearer t', 'x-kind': 'flows' } });
      const res = await c.post(Buffer.from('the body'));
      assert.equal(res.status, 200);
      assert.deepEqual(
        rx.seen.map((s) => [s.method, s.url, s.body, s.headers.authorization]),
        [
          ['POST', '/old', 'the body', 'Bearer t'],
          ['POST', '/new', 'the body', 'Bearer t'],
        ],
      );
      assert.equal(target.seen.length, 1);
      assert.deepEqual(
        [target.seen[0]!.method, target.seen[0]!.url, target.seen[0]!.body],
        ['POST', '/final', 'the body'],
      );
      assert.equal(target.seen[0]!.headers.authorization, undefined, 'not sent to another origin');
      assert.equal(target.seen[0]!.headers['x-kind'], 'flows');
    });

    it(`stops after ${MAX_REDIRECTS} redirects with a permanent error`, async () => {
      const rx = await server((req, res) => {
        const n = Number(req.url?.slice(1)) || 0;
        res.writeHead(307, { location: `/${n + 1}` }).end();
      });
      const err = await rejection(make(`${rx.url}/0`).post(Buffer.from('x')));
      assert.equal(err.retryable, false);
      assert.match(
        err.message,
        new RegExp(`more than ${MAX_REDIRECTS} redirects \\(the last to ${rx.url}/6\\)`),
      );
      assert.equal(rx.seen.length, MAX_REDIRECTS + 1);
    });

    it('301, 302 and 303 are not followed: a permanent failure that says why', async () => {
      for (const status of [301, 302, 303]) {
        const rx = await server((_req, res) =>
          res.writeHead(status, { location: 'https://new.example/v1/logs' }).end(),
        );
        const res = await make(rx.url).post(Buffer.from('x'));
        assert.equal(res.status, status);
        const err = httpFailure(res, `POST ${rx.url}/`);
        assert.equal(err.retryable, false);
        assert.equal(
          err.message,
          `POST ${rx.url}/: HTTP ${status} redirect to https://new.example/v1/logs: not followed ` +
            '(a POST is resent only on 307 or 308, which keep the method and body); set the URL to the new location',
        );
        assert.equal(rx.seen.length, 1);
      }
    });

    it('a redirect from https to plain http is refused', { skip: noTls }, async () => {
      const rx = await server(
        (_req, res) => res.writeHead(308, { location: 'http://127.0.0.1:9/x' }).end(),
        tls,
      );
      const err = await rejection(make(rx.url, { tls: { ca: tls!.cert } }).post(Buffer.from('x')));
      assert.equal(err.retryable, false);
      assert.match(
        err.message,
        /redirect to http:\/\/127\.0\.0\.1:9\/x: not followed from https to plain http/,
      );
    });
  });

  describe(`${name}: TLS failures are permanent`, { skip: noTls }, () => {
    it('an untrusted certificate', async () => {
      const rx = await server(undefined, tls);
      const err = await rejection(make(rx.url).post(Buffer.from('x')));
      assert.equal(err.retryable, false);
      assert.match(
        err.message,
        /DEPTH_ZERO_SELF_SIGNED_CERT: TLS certificate rejected: self[- ]signed certificate/,
      );
      assert.equal(rx.seen.length, 0);
    });

    it('a certificate for another name', async () => {
      const other = selfSignedCertificate('DNS:other.test');
      assert.ok(other);
      stops.push(() => other.cleanup());
      const rx = await server(undefined, other);
      const err = await rejection(make(rx.url, { tls: { ca: other.cert } }).post(Buffer.from('x')));
      assert.equal(err.retryable, false);
      assert.match(err.message, /ERR_TLS_CERT_ALTNAME_INVALID: TLS certificate rejected: .*127\.0\.0\.1/);
    });

    it('https to a plain HTTP port', async () => {
      const rx = await server();
      const err = await rejection(make(rx.url.replace('http:', 'https:')).post(Buffer.from('x')));
      assert.equal(err.retryable, false);
      // node:tls reports the same failure as ERR_SSL_WRONG_VERSION_NUMBER, or as EPROTO when a
      // request was being written during the handshake
      assert.match(
        err.message,
        /ERR_SSL_WRONG_VERSION_NUMBER: the server does not speak TLS on this port \(is it a plain http:\/\/ endpoint\?\)|EPROTO: TLS handshake failed \(does the server speak TLS on this port\?\): .*wrong version number/,
      );
    });
  });
}
