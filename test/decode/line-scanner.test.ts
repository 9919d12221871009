/**
 * The WebAssembly line scanner decodes stream text; the JavaScript decoder handles every line
 * the scanner stops at. Together they must give exactly what the JavaScript decoder gives on
 * its own: rows, positions, original lines, batch sizes, counts, malformed samples and errors,
 * for any chunking and batch size.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { RunStats } from '../../src/core/stats.js';
import { MAX_LINE_BYTES } from '../../src/decode/errors.js';
import { LineScanner, lineScannerAvailable } from '../../src/decode/line-scanner.js';
import { TextBatcher } from '../../src/decode/text.js';
import { sampleLines } from '../../src/generate/index.js';
import { type Outcome, outcomeOf } from './helpers.js';

/** A deterministic pseudo-random sequence, so chunk sizes differ but runs repeat. */
function chunkSizes(seed: number, max: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return 1 + (x % max);
  };
}

function run(bytes: Buffer, scanner: boolean, batchSize: number, maxChunk: number): Outcome {
  const stats = new RunStats();
  const batcher = new TextBatcher({
    source: { id: 'input.log' },
    origin: 'input.log',
    batchSize,
    stats,
    headers: true,
    scanner,
  });
  const batches: FlowBatch[] = [];
  let error: string | undefined;
  const next = chunkSizes(batchSize * 31 + maxChunk, maxChunk);
  try {
    for (let i = 0; i < bytes.length; ) {
      const n = next();
      batcher.push(bytes.subarray(i, Math.min(bytes.length, i + n)));
      batches.push(...batcher.take());
      i += n;
    }
    batcher.end();
    batches.push(...batcher.take());
  } catch (err) {
    error = (err as Error).message;
  }
  return outcomeOf(batches, stats, error);
}

function sameBothWays(bytes: Buffer, batchSize: number, maxChunk: number): Outcome {
  const js = run(bytes, false, batchSize, maxChunk);
  const wasm = run(bytes, true, batchSize, maxChunk);
  assert.deepEqual(wasm, js);
  return wasm;
}

const v2 = (src: string, extra = ''): string =>
  `2 123456789012 eni-0a1b2c3d ${src} 10.0.0.9 443 51000 6 10 8400 1700000000 1700000060 ACCEPT OK${extra}`;

describe('text decoder: the WebAssembly scanner', () => {
  it('is built and loads here', () => {
    assert.equal(lineScannerAvailable(), true);
  });

  it('gives what the JavaScript decoder gives on generated text, malformed lines included', () => {
    for (const version of ['2', '5', '11'] as const) {
      const { lines } = sampleLines({ records: 3000, version, seed: Number(version), malformedRate: 0.02 });
      const bytes = Buffer.from(`${lines.join('\n')}\n`, 'latin1');
      for (const [batchSize, maxChunk] of [
        [8192, 65536],
        [7, 333],
        [100, 1],
      ] as const) {
        const out = sameBothWays(bytes, batchSize, maxChunk);
        assert.ok(out.rows.length > 2500, `v${version}: ${out.rows.length} rows`);
        assert.ok((out.stats.malformed as number) > 0, `v${version}: malformed lines counted`);
      }
    }
  });

  it('gives what the JavaScript decoder gives on awkward lines', () => {
    const text = [
      v2('10.0.0.1'),
      '',
      '   ',
      `  ${v2('10.0.0.2')}  `,
      `${v2('10.0.0.3')}\r`,
      v2('10.0.0.4').replaceAll(' ', '\t'),
      v2('10.0.0.5').replace(' 443 ', ' - '),
      v2('-'),
      v2('10.0.0.6').replace('ACCEPT', 'ACCÉPT'),
      v2('10.0.0.7', ' extra'),
      v2('10.0.0.8').replace(' 443 ', ' 4x3 '),
      v2('10.0.0.9').replace(' 443 ', ' 99999999999999999999 '),
      '2 123456789012 eni-0a1b2c3d 10.0.0.1',
      v2('10.0.0.10').replace(' 6 ', ' 6\u0001'),
      v2('10.0.0.11').replace('\r', '').replace(' OK', ' OK\r\rX'),
      v2('a'.repeat(2000)),
      v2('10.0.0.14').replace('eni-0a1b2c3d', 'a'.repeat(2000)),
      v2('b'.repeat(MAX_LINE_BYTES + 10)),
      v2('10.0.0.15').replace(' 443 ', ' 70000 '),
      v2('10.0.0.16').replace('ACCEPT', 'ACCEPTED'),
      v2('not-an-address'),
      v2('10.0.0.17').replace('1700000000', '1700000000000'),
      v2('10.0.0.18').replace('1700000000', '17000000000000000'),
      'version interface-id srcaddr action log-status',
      '5 eni-1 10.1.1.1 ACCEPT OK',
      'egress eni-2 10.1.1.2 REJECT OK',
      '5 eni-3 10.1.1.3 REJECT',
      'not a header at all',
      'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
      v2('10.0.0.12'),
      '2 123456789012 eni-0a1b2c3d - - - - - - - 1700000000 1700000060 - NODATA',
      v2('10.0.0.13'),
    ].join('\n');
    for (const [batchSize, maxChunk] of [
      [8192, 65536],
      [3, 17],
      [1, 5],
    ] as const) {
      const out = sameBothWays(Buffer.from(text, 'utf8'), batchSize, maxChunk);
      assert.equal(out.rows.length, 12, `${out.rows.length} rows`);
      assert.equal(out.stats.malformed, 16);
    }
  });

  it('gives what the JavaScript decoder gives when a column has more values than its table holds', () => {
    const lines: string[] = [];
    for (let i = 0; i < 40000; i++) lines.push(v2(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
    // values seen before the table was cleared come back
    for (let i = 0; i < 100; i++) lines.push(v2(`10.0.0.${i}`));
    const out = sameBothWays(Buffer.from(`${lines.join('\n')}\n`), 4096, 100000);
    assert.equal(out.rows.length, 40100);
    assert.equal(out.rows[40099]!.srcaddr, '10.0.0.99');
  });

  it('serves stream after stream from one released scanner, each with its own codes', () => {
    const a = LineScanner.acquire()!;
    a.release();
    assert.equal(LineScanner.acquire(), a, 'a released scanner is taken again');
    a.release();
    // the second stream repeats the first one's values, in another order and layout
    const first = Array.from({ length: 300 }, (_, i) => v2(`10.0.${i % 7}.${i % 11}`)).join('\n');
    const second = `version srcaddr action log-status\n${Array.from({ length: 300 }, (_, i) => `2 10.0.${i % 11}.${i % 7} ACCEPT OK`).join('\n')}`;
    for (let round = 0; round < 3; round++) {
      for (const text of [first, second]) {
        const out = sameBothWays(Buffer.from(`${text}\n`), 64, 1000);
        assert.equal(out.rows.length, 300);
      }
    }
  });

  it('gives what the JavaScript decoder gives on a header it cannot use', () => {
    const text = `${v2('10.0.0.1')}\nversion srcaddr bogus-field-name\n5 10.0.0.2 x\n`;
    const out = sameBothWays(Buffer.from(text), 10, 8);
    assert.equal(out.rows.length, 2);
  });
});
