import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { resolveOptions } from '../../src/config/options.js';
import { RunStats } from '../../src/core/stats.js';
import { otelDocumentSchema } from '../../src/schema/otel.js';
import { OTLP_OPTIONS } from '../../src/sinks/otlp/options.js';
import { create } from '../../src/sinks/otlp/sink.js';
import { OtlpHttpReceiver } from '../receivers/otlp-http.js';
import type { ReceivedRecord } from '../receivers/otlp-proto.js';
import { makeBatch } from './helpers.js';

const stops: Array<() => Promise<void>> = [];
after(async () => {
  for (const s of stops) await s();
});

const context = { env: {}, stats: new RunStats(), log: () => undefined };

function flat(r: ReceivedRecord): Record<string, unknown> {
  return { ...r.resource, ...r.attributes, body: r.body };
}

describe('otlp sink with --otlp-workers', () => {
  it('two workers deliver every record exactly once, as the otel mapping writes it', async () => {
    const rx = await new OtlpHttpReceiver().start();
    stops.push(() => rx.stop());
    const options = resolveOptions(OTLP_OPTIONS, {
      flags: { 'otlp-endpoint': rx.url, 'otlp-workers': '2', 'max-request-bytes': '20000' },
    });
    const sink = await create(options, context);
    const batches = Array.from({ length: 6 }, (_, k) =>
      makeBatch(200, { firstLine: k * 200 + 1, sourceId: 'workers' }),
    );
    for (const b of batches) await sink.write(b);
    await sink.endInput?.({ id: 'workers' });
    const result = await sink.close();
    assert.equal(result.delivered, 1200);
    assert.equal(result.failed, 0);
    assert.equal(result.details?.workers, 2);
    const byUid = new Map(rx.accepted.map((r) => [r.attributes['log.record.uid'], r]));
    assert.equal(rx.accepted.length, 1200);
    assert.equal(byUid.size, 1200);
    const schema = otelDocumentSchema();
    for (const b of batches) {
      for (const i of [0, 57, 199]) {
        const doc = schema.document(b, i);
        const got = flat(byUid.get(b.str('record_uid', i)!)!);
        for (const [k, v] of Object.entries(doc)) {
          if (k === 'time' || k.startsWith('severity')) continue;
          assert.deepEqual(got[k], v, k);
        }
      }
    }
  });

  it('a permanent failure in a worker stops the run with the server message', async () => {
    const rx = await new OtlpHttpReceiver(() => ({ kind: 'error', status: 400, message: 'nope' })).start();
    stops.push(() => rx.stop());
    const options = resolveOptions(OTLP_OPTIONS, {
      flags: {
        'otlp-endpoint': rx.url,
        'otlp-workers': '1',
        'max-request-bytes': '4096',
        'max-in-flight': '1',
      },
    });
    const sink = await create(options, context);
    let written = 0;
    await assert.rejects(async () => {
      for (let k = 0; k < 50; k++) {
        written += 200;
        await sink.write(makeBatch(200, { firstLine: k * 200 + 1 }));
      }
    }, /HTTP 400: nope/);
    const result = await sink.close();
    assert.equal(result.delivered, 0);
    assert.match(result.errors.join('\n'), /HTTP 400: nope/);
    // Everything handed over is accounted for; the last write was refused before it was sent.
    assert.equal(result.failed, written - 200);
  });
});
