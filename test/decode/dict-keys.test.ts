/**
 * The text decoder publishes, for each string column the WebAssembly scanner filled, a stable key
 * per dictionary code (StrColumn.keys): within one key space the same key is always the same string,
 * across batches and streams; values the JavaScript decoder parsed have no key.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowBatch, StrColumn } from '../../src/batch/flow-batch.js';
import { RunStats } from '../../src/core/stats.js';
import { TextBatcher } from '../../src/decode/text.js';

const v2 = (src: string): string =>
  `2 123456789012 eni-0a1b2c3d ${src} 10.0.0.9 443 51000 6 10 8400 1700000000 1700000060 ACCEPT OK`;

function decode(lines: readonly string[], batchSize: number, scanner = true): FlowBatch[] {
  const batcher = new TextBatcher({
    source: { id: 'input.log' },
    origin: 'input.log',
    batchSize,
    stats: new RunStats(),
    headers: true,
    scanner,
  });
  const text = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  const out: FlowBatch[] = [];
  for (let i = 0; i < text.length; i += 50_000) {
    batcher.push(text.subarray(i, i + 50_000));
    out.push(...batcher.take());
  }
  batcher.end();
  out.push(...batcher.take());
  return out;
}

const srcOf = (b: FlowBatch): StrColumn => b.column('srcaddr') as StrColumn;

/**
 * Every (space, key) names one string; within a batch distinct codes have distinct keys, and
 * with `allKeyed` every value has one. Returns the key spaces seen.
 */
function checkKeys(batches: readonly FlowBatch[], allKeyed: boolean): Set<object> {
  const named = new Map<object, Map<number, string>>();
  for (const b of batches) {
    const col = srcOf(b);
    const keyed = col.keys;
    assert.ok(keyed, 'every scanned dictionary has keys');
    assert.equal(keyed.keys.length, col.dict.length);
    assert.equal(keyed.keys[0], 0, 'code 0 (null) has no key');
    const byKey = named.get(keyed.space) ?? new Map<number, string>();
    named.set(keyed.space, byKey);
    const inBatch = new Set<number>();
    for (let code = 1; code < col.dict.length; code++) {
      const key: number = keyed.keys[code]!;
      if (allKeyed) assert.ok(key > 0, `${col.dict[code]} has a key`);
      if (key === 0) continue;
      assert.ok(!inBatch.has(key), `key ${key} given twice in one batch`);
      inBatch.add(key);
      const seen = byKey.get(key);
      if (seen !== undefined) assert.equal(col.dict[code], seen, `key ${key} names one string`);
      byKey.set(key, col.dict[code]!);
    }
  }
  return new Set(named.keys());
}

describe('dictionary keys of the text decoder', () => {
  it('keep a value under one key batch after batch', () => {
    const lines = Array.from({ length: 3000 }, (_, i) => v2(`10.0.${i % 5}.${i % 13}`));
    const batches = decode(lines, 500);
    assert.equal(batches.length, 6);
    assert.equal(checkKeys(batches, true).size, 1, 'one key space while the table holds every value');
    const first = srcOf(batches[0]!).keys!;
    const last = srcOf(batches[5]!).keys!;
    const keyOf = (col: StrColumn, keys: Uint32Array, value: string) => keys[col.dict.indexOf(value)];
    assert.equal(
      keyOf(srcOf(batches[5]!), last.keys, '10.0.1.1'),
      keyOf(srcOf(batches[0]!), first.keys, '10.0.1.1'),
    );
  });

  it('give no key to values the JavaScript decoder parsed', () => {
    // a value too long for the scanner (an interface id here) sends its line to the JavaScript decoder
    const long = v2('10.0.0.99').replace('eni-0a1b2c3d', 'a'.repeat(2000));
    const batches = decode([v2('10.0.0.1'), long, v2('10.0.0.2')], 100);
    assert.equal(batches.length, 1);
    assert.equal(batches[0]!.length, 3);
    const col = srcOf(batches[0]!);
    const keys = col.keys!.keys;
    assert.equal(keys[col.dict.indexOf('10.0.0.99')], 0);
    assert.ok(keys[col.dict.indexOf('10.0.0.1')]! > 0);
    assert.ok(keys[col.dict.indexOf('10.0.0.2')]! > 0);
    checkKeys(batches, false);
  });

  it('start a new key space when a column outgrows its table', () => {
    const lines: string[] = [];
    for (let i = 0; i < 70000; i++) lines.push(v2(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
    for (let i = 0; i < 100; i++) lines.push(v2(`10.0.0.${i}`));
    // batches that do not start where the table fills, so some hold values of two table fillings
    const batches = decode(lines, 5000);
    assert.ok(checkKeys(batches, false).size >= 2, 'the table was emptied, its entries name other strings');
  });

  it('are not given by the JavaScript decoder alone', () => {
    const batches = decode([v2('10.0.0.1'), v2('10.0.0.2')], 100, false);
    assert.equal(srcOf(batches[0]!).keys, undefined);
  });
});
