import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { resolveOptions } from '../../src/config/options.js';
import { RunStats } from '../../src/core/stats.js';
import { PIPELINE_OPTIONS } from '../../src/pipeline/options.js';
import { documentSchema } from '../../src/schema/index.js';
import { HTTP_OPTIONS } from '../../src/sinks/http/options.js';
import { create } from '../../src/sinks/http/sink.js';
import type { SinkContext } from '../../src/sinks/registry.js';
import { type Reply, TestHttpServer } from '../receivers/http-server.js';
import { makeBatch } from './helpers.js';

const stops: Array<() => Promise<void>> = [];
after(async () => {
  for (const s of stops) await s();
});

const context: SinkContext = { env: {}, stats: new RunStats(), log: () => undefined };

async function server(plan: (req: { index: number }) => Reply = () => ({ kind: 'ok' })) {
  const s = await new TestHttpServer(plan).start();
  stops.push(() => s.stop());
  return s;
}

function options(flags: Record<string, string | string[]>) {
  return resolveOptions([...PIPELINE_OPTIONS, ...HTTP_OPTIONS], {
    flags: { 'retry-initial-delay': '10', 'max-request-bytes': '20000', ...flags },
  });
}

describe('http sink', () => {
  it('POSTs JSON arrays of documents in the chosen schema, with headers', async () => {
    const rx = await server();
    const sink = await create(
      options({
        'http-url': `${rx.url}/api/default/flows/_json`,
        header: ['Authorization=Basic abc'],
        schema: 'otel',
      }),
      context,
    );
    const batch = makeBatch(300);
    await sink.write(batch);
    const result = await sink.close();
    assert.equal(result.delivered, 300);
    assert.ok(rx.requests.length > 1);
    // Requests run concurrently and may land in any order: compare by record uid.
    const byUid = (d: unknown) => String((d as Record<string, unknown>)['log.record.uid']);
    const docs = rx.requests.flatMap((r) => JSON.parse(r.body.toString('utf8')) as unknown[]);
    const otel = documentSchema('otel');
    const expected = Array.from(
      { length: 300 },
      (_, i) => JSON.parse(JSON.stringify(otel.document(batch, i))) as unknown,
    );
    const sort = (a: unknown[]) => [...a].sort((x, y) => byUid(x).localeCompare(byUid(y)));
    assert.deepEqual(sort(docs), sort(expected));
    for (const r of rx.requests) {
      assert.equal(r.path, '/api/default/flows/_json');
      assert.equal(r.headers.authorization, 'Basic abc');
      assert.equal(r.headers['content-type'], 'application/json');
    }
  });

  it('NDJSON with gzip', async () => {
    const rx = await server();
    const sink = await create(
      options({ url: rx.url, 'http-format': 'ndjson', 'http-compression': 'gzip' }),
      context,
    );
    await sink.write(makeBatch(50));
    const result = await sink.close();
    assert.equal(result.delivered, 50);
    const lines = rx.requests.flatMap((r) => r.body.toString('utf8').trimEnd().split('\n'));
    assert.equal(lines.length, 50);
    assert.equal((JSON.parse(lines[0]!) as { srcaddr: string }).srcaddr, '10.0.0.0');
    assert.equal(rx.requests[0]!.headers['content-encoding'], 'gzip');
  });

  it('retries a dropped connection and a 429, fails fast on 400 with the server message', async () => {
    const flaky = await server(({ index }) =>
      index === 0
        ? { kind: 'drop' }
        : index === 1
          ? { kind: 'status', status: 429, body: 'slow' }
          : { kind: 'ok' },
    );
    const sink = await create(options({ url: flaky.url }), context);
    await sink.write(makeBatch(20));
    const ok = await sink.close();
    assert.equal(ok.delivered, 20);
    assert.equal(ok.details?.retries, 2);

    const bad = await server(() => ({ kind: 'status', status: 400, body: 'field "x" is not allowed' }));
    const failing = await create(options({ url: bad.url, 'max-in-flight': '1' }), context);
    await assert.rejects(async () => {
      for (let i = 0; i < 20; i++) await failing.write(makeBatch(200, { firstLine: i * 200 + 1 }));
    }, /HTTP 400: field "x" is not allowed/);
    const result = await failing.close();
    assert.equal(result.delivered, 0);
    assert.ok(result.failed > 0);
    assert.equal(bad.requests.length, 1);
  });

  it('a missing URL is a config error', async () => {
    await assert.rejects(create(options({}), context), /--http-url/);
  });
});
