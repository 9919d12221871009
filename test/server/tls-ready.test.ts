import assert from 'node:assert/strict';
import { request } from 'node:https';
import { describe, it } from 'node:test';
import { serveOptionSpecs } from '../../src/cli/serve.js';
import { resolveWithConfig } from '../../src/pipeline/options.js';
import { createLogger, type Logger } from '../../src/server/log.js';
import { startServer } from '../../src/server/server.js';
import { flowLines } from '../aws/helpers.js';
import { OtlpHttpReceiver } from '../receivers/otlp-http.js';
import { selfSignedCertificate } from '../receivers/tls.js';
import { memoryLogger } from './helpers.js';

function requestBody(requestId: string, lines: readonly string[]): string {
  return JSON.stringify({
    requestId,
    timestamp: Date.now(),
    records: lines.map((l) => ({ data: Buffer.from(l).toString('base64') })),
  });
}

async function serve(flags: Record<string, string | string[]>, log = memoryLogger()) {
  const options = resolveWithConfig(
    serveOptionSpecs(),
    { flags: { port: '0', host: '127.0.0.1', ...flags }, positionals: [] },
    {},
  );
  return startServer(options, { env: {}, log });
}

/** A logger that also resolves `logged(pattern)` once a message matching it is written. */
function watchedLogger(): { log: Logger; logged(pattern: RegExp): Promise<void> } {
  const messages: string[] = [];
  const waiting: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const log = createLogger({
    format: 'json',
    quiet: false,
    write: (line) => {
      const message = String((JSON.parse(line) as { message: unknown }).message);
      messages.push(message);
      for (const w of waiting.filter((w) => w.pattern.test(message))) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
    },
  });
  return {
    log,
    logged: (pattern) =>
      messages.some((m) => pattern.test(m))
        ? Promise.resolve()
        : new Promise((resolve) => waiting.push({ pattern, resolve })),
  };
}

describe('serve over TLS', () => {
  const tls = selfSignedCertificate();
  it('answers Firehose over HTTPS with --tls-cert/--tls-key', {
    skip: tls ? false : 'no openssl',
  }, async () => {
    const { writeFileSync } = await import('node:fs');
    const keyPath = tls!.certPath.replace(/cert\.pem$/, 'key.pem');
    writeFileSync(keyPath, tls!.key);
    const server = await serve({ to: ['null'], 'tls-cert': tls!.certPath, 'tls-key': keyPath });
    try {
      assert.match(server.url, /^https:\/\//);
      const body = requestBody('tls-1', flowLines(3));
      const url = new URL(`${server.url}/firehose`);
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', ca: tls!.cert },
          (res) => {
            let text = '';
            res.on('data', (c) => {
              text += c;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(answer.status, 200, answer.text);
      assert.equal((JSON.parse(answer.text) as { requestId: string }).requestId, 'tls-1');
    } finally {
      await server.close();
      tls!.cleanup();
    }
  });

  it('refuses --tls-cert without --tls-key', async () => {
    await assert.rejects(
      serve({ to: ['null'], 'tls-cert': '/nonexistent.pem' }),
      /--tls-cert and --tls-key go together/,
    );
  });
});

describe('/readyz', () => {
  it('fails after a sink failure and recovers with a rebuilt sink; the failed request is not acknowledged', async () => {
    // The receiver refuses the first export for good (400), then accepts.
    const receiver = await new OtlpHttpReceiver((req) =>
      req.index === 0 ? { kind: 'error', status: 400, message: 'bad request' } : { kind: 'ok' },
    ).start();
    const server = await serve({ to: ['otlp'], 'otlp-endpoint': receiver.url, 'otlp-compression': 'none' });
    try {
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
      const post = (id: string, n: number) =>
        fetch(`${server.url}/firehose`, { method: 'POST', body: requestBody(id, flowLines(n, 3)) });
      assert.equal((await post('first', 5)).status, 500);
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.deepEqual(((await ready.json()) as { sinks: unknown }).sinks, { otlp: 'down' });
      // Firehose retries the same request: the sink is rebuilt and delivers it.
      assert.equal((await post('first', 5)).status, 200);
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
      assert.equal(receiver.accepted.length, 5);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /flowlens_records_failed_total\{sink="otlp"\} 5/);
      assert.match(metrics, /flowlens_records_delivered_total\{sink="otlp"\} 5/);
    } finally {
      await server.close();
      await receiver.stop();
    }
  });

  it('recovers by itself once the backend answers again, without waiting for a request', async () => {
    // The receiver refuses the first two exports (the request, then the first probe), then accepts.
    const receiver = await new OtlpHttpReceiver((req) =>
      req.index < 2 ? { kind: 'error', status: 400, message: 'bad request' } : { kind: 'ok' },
    ).start();
    const watch = watchedLogger();
    const server = await serve(
      { to: ['otlp'], 'otlp-endpoint': receiver.url, 'otlp-compression': 'none' },
      watch.log,
    );
    try {
      const post = await fetch(`${server.url}/firehose`, {
        method: 'POST',
        body: requestBody('only', flowLines(5, 3)),
      });
      assert.equal(post.status, 500);
      assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
      // the slot rebuilds the sink and probes the backend until it answers
      await watch.logged(/sink otlp: cannot deliver yet: .*HTTP 400/);
      await watch.logged(/sink otlp: can deliver again/);
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(((await ready.json()) as { sinks: unknown }).sinks, { otlp: 'up' });
      assert.equal(receiver.requests.length, 3, 'the request and two probes');
      assert.equal(receiver.accepted.length, 0, 'a probe delivers no record');
    } finally {
      await server.close();
      await receiver.stop();
    }
  });
});
