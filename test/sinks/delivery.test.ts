import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, DEFAULT_RETRY } from '../../src/delivery/backoff.js';
import { DeliveryError, parseRetryAfter } from '../../src/delivery/errors.js';
import { Delivery } from '../../src/delivery/queue.js';

describe('delivery: backoff and Retry-After', () => {
  it('parses Retry-After as seconds or an HTTP-date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });

  it('full jitter within an exponentially growing window, capped', () => {
    const p = { ...DEFAULT_RETRY, initialDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(
      backoffDelay(p, 1, undefined, () => 0.999),
      99,
    );
    assert.equal(
      backoffDelay(p, 3, undefined, () => 0.5),
      200,
    );
    assert.equal(
      backoffDelay(p, 10, undefined, () => 0.999),
      999,
    );
    assert.equal(
      backoffDelay(p, 1, undefined, () => 0),
      0,
    );
    // Retry-After is honoured, but never beyond the cap.
    assert.equal(
      backoffDelay(p, 1, 700, () => 0),
      700,
    );
    assert.equal(
      backoffDelay(p, 1, 60_000, () => 0),
      1000,
    );
  });
});

describe('delivery: the in-flight queue', () => {
  it('never has more than maxInFlight requests running; submit waits for room', async () => {
    const q = new Delivery({ name: 't', maxInFlight: 2 });
    let running = 0;
    let peak = 0;
    for (let i = 0; i < 10; i++) {
      await q.submit({
        records: 1,
        bytes: 1,
        async send() {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setImmediate(r));
          running--;
          return { delivered: 1, rejected: 0 };
        },
      });
      assert.ok(running <= 2);
    }
    await q.drain();
    assert.equal(peak, 2);
    assert.equal(q.result().delivered, 10);
  });

  it('a permanent failure makes later submits throw and counts every record', async () => {
    const q = new Delivery({ name: 't', maxInFlight: 1 });
    await q.submit({
      records: 5,
      bytes: 1,
      send: async () => {
        throw new DeliveryError('HTTP 403: forbidden', false);
      },
    });
    await q.drain();
    let released = false;
    await assert.rejects(
      q.submit({
        records: 7,
        bytes: 1,
        send: async () => ({ delivered: 7, rejected: 0 }),
        release: () => (released = true),
      }),
      /^Error: HTTP 403: forbidden$/,
    );
    assert.ok(released);
    const r = q.result();
    assert.equal(r.failed, 12);
    assert.equal(r.delivered, 0);
    assert.deepEqual(r.errors, ['t: HTTP 403: forbidden']);
  });

  it('retries transient failures and stops at maxAttempts', async () => {
    const q = new Delivery({
      name: 't',
      maxInFlight: 1,
      retry: { maxAttempts: 3, maxElapsedMs: 10_000, initialDelayMs: 1, maxDelayMs: 5 },
    });
    let attempts = 0;
    await q.submit({
      records: 2,
      bytes: 1,
      send: async () => {
        attempts++;
        throw new DeliveryError('HTTP 503', true);
      },
    });
    await q.drain();
    assert.equal(attempts, 3);
    const r = q.result();
    assert.equal(r.failed, 2);
    assert.equal(r.details?.retries, 2);
    assert.match(r.errors[0]!, /gave up after 3 attempts/);
  });
});
