/**
 * `flowlens serve` keeps answering /healthz while each hostile request is in flight, and each
 * gets its proper answer. How fast /healthz answers is measured by the `serve-hostile` bench
 * scenario; here only that it answers, with every answer an event waited for.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hostileRequests, sendHostile } from '../../bench/hostile-requests.js';
import { type ServeProcess, spawnServe } from './helpers.js';

const MAX_BODY = 4 * 1024 * 1024;

/** Value of a metric line (`name{labels} value`) in Prometheus text, 0 when absent. */
function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('serve under hostile requests', () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await spawnServe(['--to', 'null', '--no-alerts', '--max-body', String(MAX_BODY)]);
  });
  after(async () => {
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0, serve.out.stderr);
  });

  const delivered = new Map<string, number>([
    ['newlines', 1],
    ['wide-header', 3],
    ['leading-whitespace', 1],
    ['bom', 1],
  ]);

  for (const h of hostileRequests(MAX_BODY)) {
    it(`${h.name}: /healthz answers while it is in flight; it is answered ${h.status}`, async () => {
      const before = metric(
        await (await fetch(`${serve.url}/metrics`)).text(),
        'flowlens_records_delivered_total{sink="null"}',
      );
      let answered = false;
      const answer = sendHostile(serve.url, h).finally(() => {
        answered = true;
      });
      // One /healthz after another until the hostile request has its answer (at least one).
      let checks = 0;
      do {
        const health = await fetch(`${serve.url}/healthz`);
        assert.equal(health.status, 200);
        assert.deepEqual(await health.json(), { status: 'ok' });
        checks++;
      } while (!answered);
      assert.ok(checks >= 1);
      const { status, body } = await answer;
      assert.equal(status, h.status, body);
      const reply = JSON.parse(body) as { errorMessage?: string };
      if (h.errorMessage) assert.match(reply.errorMessage ?? '', h.errorMessage);
      else assert.equal(reply.errorMessage, undefined);
      const after = metric(
        await (await fetch(`${serve.url}/metrics`)).text(),
        'flowlens_records_delivered_total{sink="null"}',
      );
      assert.equal(after - before, delivered.get(h.name) ?? 0, 'records delivered by this request');
    });
  }
});
