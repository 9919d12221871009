import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { documentSchema } from '../../src/schema/index.js';
import { createEsSink, type EsConfig } from '../../src/sinks/elasticsearch/sink.js';
import { EsBulkReceiver, type ItemFate } from '../receivers/es-bulk.js';
import { makeBatch, quietContext, testSettings } from './helpers.js';

const stops: Array<() => Promise<void>> = [];
after(async () => {
  for (const s of stops) await s();
});

async function receiver(...args: ConstructorParameters<typeof EsBulkReceiver>): Promise<EsBulkReceiver> {
  const r = await new EsBulkReceiver(...args).start();
  stops.push(() => r.stop());
  return r;
}

function config(url: string, extra: Partial<EsConfig> = {}): EsConfig {
  return { url: new URL(url), index: 'flows-test', timeoutMs: 5000, ...extra };
}

async function run(cfg: EsConfig, batches: FlowBatch[], settings = testSettings()) {
  const sink = createEsSink(cfg, settings, quietContext);
  let writeError: string | undefined;
  try {
    for (const b of batches) await sink.write(b);
  } catch (err) {
    writeError = (err as Error).message;
  }
  return { result: await sink.close(), writeError };
}

const batchesOf = (n: number, sourceId = 'es://src') => {
  const out: FlowBatch[] = [];
  for (let first = 1; first <= n; first += 200)
    out.push(makeBatch(Math.min(200, n - first + 1), { firstLine: first, sourceId }));
  return out;
};

describe('elasticsearch sink', () => {
  it('creates ECS documents keyed by record uid, in several bulk requests', async () => {
    const rx = await receiver();
    const batches = batchesOf(500);
    const { result } = await run(config(rx.url), batches);
    assert.equal(result.delivered, 500);
    assert.equal(result.rejected, 0);
    assert.equal(rx.docs.size, 500);
    assert.deepEqual([...rx.indices], ['flows-test']);
    assert.ok(rx.server.requests.length > 1);
    const ecs = documentSchema('ecs');
    const b = batches[1]!;
    assert.deepEqual(rx.docs.get(b.str('record_uid', 7)!), JSON.parse(JSON.stringify(ecs.document(b, 7))));
  });

  it('a re-delivery does not duplicate: 409 counts as delivered', async () => {
    const rx = await receiver();
    await run(config(rx.url), batchesOf(300));
    const { result } = await run(config(rx.url), batchesOf(300));
    assert.equal(result.delivered, 300);
    assert.equal(result.details?.duplicates, 300);
    assert.equal(rx.docs.size, 300);
    assert.ok([...rx.stores.values()].every((n) => n === 1));
    assert.deepEqual(result.errors, []);
  });

  it('retries only the throttled items; reports rejected items with reasons', async () => {
    const fate = (id: string, attempt: number): ItemFate => {
      const n = Number(id.split('#')[1]);
      if (n % 10 === 0 && attempt === 1) return 'throttle';
      if (n % 97 === 0)
        return {
          status: 400,
          type: 'mapper_parsing_exception',
          reason: 'failed to parse field [source.port]',
        };
      return 'create';
    };
    const rx = await receiver(fate);
    const { result } = await run(config(rx.url), batchesOf(400));
    const rejected = [97, 194, 291, 388].length;
    assert.equal(result.rejected, rejected);
    assert.equal(result.delivered, 400 - rejected);
    assert.equal(rx.docs.size, 400 - rejected);
    assert.ok([...rx.stores.values()].every((n) => n === 1));
    assert.ok(Number(result.details?.retries) >= 1);
    assert.deepEqual(result.errors, [
      `elasticsearch: document rejected: mapper_parsing_exception: failed to parse field [source.port] (×${rejected})`,
    ]);
  });

  it('sends basic auth or an API key', async () => {
    const rx = await receiver();
    await run(
      config(rx.url, { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` }),
      batchesOf(3),
    );
    assert.equal(rx.server.requests[0]!.headers.authorization, 'Basic dTpw');
    assert.equal(rx.server.requests[0]!.headers['content-type'], 'application/x-ndjson');
  });

  it('401 fails fast with the cluster message; 503 with Retry-After is retried', async () => {
    const denied = await receiver(undefined, () => ({
      status: 401,
      body: '{"error":{"type":"security_exception","reason":"missing authentication credentials"},"status":401}',
    }));
    const { result, writeError } = await run(
      config(denied.url),
      batchesOf(3000),
      testSettings({ maxInFlight: 1 }),
    );
    assert.equal(denied.server.requests.length, 1);
    assert.match(writeError ?? '', /HTTP 401: security_exception: missing authentication credentials/);
    assert.equal(result.delivered, 0);
    assert.ok(result.failed > 0);

    const busy = await receiver(undefined, (req) =>
      req.index === 0 ? { status: 503, body: '{"error":"unavailable"}', retryAfter: '0' } : 'ok',
    );
    const ok = await run(config(busy.url), batchesOf(100));
    assert.equal(ok.result.delivered, 100);
    assert.equal(ok.result.details?.retries, 1);
    assert.equal(busy.docs.size, 100);
  });
});
