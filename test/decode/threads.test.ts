/**
 * Decoding on decode threads must give exactly what decoding on one thread gives: the same
 * rows in the same order, positions, original lines, counts, malformed samples (line numbers
 * included), warnings and errors. Small batches make many segments, so lines, headers and
 * damage fall on every kind of segment boundary.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { RunStats } from '../../src/core/stats.js';
import type { DecodeEnrich } from '../../src/core/types.js';
import { decodeThreadJobs } from '../../src/decode/decode-pool.js';
import { decodeInput } from '../../src/decode/detect.js';
import { MAX_LINE_BYTES } from '../../src/decode/errors.js';
import { buildEnrichers } from '../../src/enrich/index.js';
import { sampleLines } from '../../src/generate/index.js';
import { bytesInput, type Outcome, outcomeOf } from './helpers.js';

async function run(
  bytes: Uint8Array,
  threads: number,
  batchSize: number,
  enrich?: DecodeEnrich,
): Promise<Outcome> {
  const stats = new RunStats();
  const batches: FlowBatch[] = [];
  let error: string | undefined;
  const options = { stats, batchSize, threads, ...(enrich ? { enrich } : {}) };
  try {
    for await (const b of decodeInput(bytesInput('input.log', bytes, 4096), options)) batches.push(b);
  } catch (err) {
    error = (err as Error).message;
  }
  return outcomeOf(batches, stats, error);
}

/** Batch boundaries may differ (a malformed line leaves a segment's batch one short); nothing else. */
async function sameOnThreads(bytes: Uint8Array, batchSize: number, enrich?: DecodeEnrich): Promise<Outcome> {
  const { sizes: oneSizes, ...one } = await run(bytes, 0, batchSize, enrich);
  const jobs = decodeThreadJobs();
  const { sizes, ...two } = await run(bytes, 2, batchSize, enrich);
  if (bytes.length > 20_000) assert.ok(decodeThreadJobs() > jobs, 'segments went to a decode thread');
  assert.deepEqual(two, one);
  assert.ok(sizes.every((n) => n > 0 && n <= batchSize));
  assert.equal(
    sizes.reduce((a, b) => a + b, 0),
    oneSizes.reduce((a, b) => a + b, 0),
  );
  return { ...two, sizes };
}

const v5 = sampleLines({ records: 3000, version: '5', seed: 7, malformedRate: 0.01 });
const v2 = sampleLines({ records: 1500, version: '2', seed: 8 });

describe('decode threads', () => {
  it('give the one-thread result for a large file with a header, malformed and blank lines', async () => {
    const text = `${v5.lines.join('\n').replace(/\n(?=[^\n]*\n[^\n]*$)/, '\n\n \n')}\n`;
    const out = await sameOnThreads(Buffer.from(text), 100);
    assert.equal(out.rows.length, v5.truth.records - v5.truth.malformed);
    assert.equal(out.stats.malformed, v5.truth.malformed);
    assert.ok(out.sizes.filter((n) => n >= 95).length >= out.sizes.length - 2, 'segments make full batches');
  });

  it('follow a header in the middle of the stream (two objects concatenated), gzip and CRLF', async () => {
    const text = `${v5.lines.slice(0, 1200).join('\r\n')}\r\n${v2.lines.join('\n')}`;
    const out = await sameOnThreads(gzipSync(text), 64);
    assert.ok(out.rows.some((r) => 'vpc_id' in r) && out.rows.some((r) => !('vpc_id' in r)));
    const v2First = out.rows.findIndex((r) => !('vpc_id' in r));
    assert.equal(out.positions[v2First], 1202, 'line numbers run on across the second header');
  });

  it('report an overlong line at its line number and keep the lines around it', async () => {
    const long = `2 123456789012 eni-1 ${'x'.repeat(MAX_LINE_BYTES + 100)} 1`;
    const lines = v2.lines.slice(0, 400);
    const text = `${[...lines.slice(0, 200), long, ...lines.slice(200)].join('\n')}\n`;
    const out = await sameOnThreads(Buffer.from(text), 50);
    assert.equal(out.rows.length, 399);
    assert.equal(out.stats.malformed, 1);
    const sample = (out.stats.malformed_samples as Array<{ line: number; message: string }>)[0]!;
    assert.equal(sample.line, 201);
    assert.match(sample.message, /longer than/);
  });

  it('stop at a bad header with the same records before it and the same error', async () => {
    const text = `${v2.lines.slice(0, 700).join('\n')}\nversion srcaddr version\n${v2.lines.slice(1, 50).join('\n')}\n`;
    const out = await sameOnThreads(Buffer.from(text), 64);
    assert.match(out.error ?? '', /header on line 701/);
    assert.equal(out.rows.length, 699);
  });

  it('yield every record before damage in a truncated gzip stream, then the error', async () => {
    const gz = gzipSync(`${v2.lines.join('\n')}\n`);
    const cut = gz.subarray(0, Math.floor(gz.length * 0.7));
    const out = await sameOnThreads(cut, 64);
    assert.ok(out.error, 'the damage is reported');
    assert.ok(
      out.rows.length > 500 && out.rows.length < 1500,
      `${out.rows.length} records before the damage`,
    );
  });

  it('keep a last line without a newline, and a stream of one segment decodes without threads', async () => {
    const text = v2.lines.slice(0, 300).join('\n');
    const out = await sameOnThreads(Buffer.from(text), 64);
    assert.equal(out.rows.length, 299);
    assert.equal(out.positions.at(-1), 300);
    const small = await sameOnThreads(Buffer.from(v2.lines.slice(0, 20).join('\n')), 64);
    assert.equal(small.rows.length, 19);
  });

  it('enrich on the threads exactly as on one thread (uid stays on the main thread)', async () => {
    const options = { enrich: ['all'], 'community-id-seed': 3 };
    const enrichers = await buildEnrichers(options);
    const onThreads = ['protocol', 'tcp-flags', 'network', 'geo', 'community-id'];
    const out = await sameOnThreads(Buffer.from(`${v5.lines.join('\n')}\n`), 200, {
      enrichers,
      options,
      onThreads,
    });
    const names = enrichers.flatMap((e) => e.columns);
    assert.ok(names.includes('community_id') && names.includes('record_uid'));
    for (const name of names) assert.ok(name in out.rows[0]!, `column ${name}`);
    assert.equal(new Set(out.rows.map((r) => r.record_uid)).size, out.rows.length, 'uids are unique');
  });

  it('hand back what the columns carry for later stages: keys, digests and spreads', async () => {
    const options = { enrich: ['all'], 'community-id-seed': 3 };
    const enrichers = await buildEnrichers(options);
    const onThreads = ['protocol', 'tcp-flags', 'network', 'geo', 'community-id'];
    const stats = new RunStats();
    const batches: FlowBatch[] = [];
    const jobs = decodeThreadJobs();
    const input = bytesInput('input.log', Buffer.from(`${v5.lines.join('\n')}\n`), 4096);
    const decodeOptions = { stats, batchSize: 200, threads: 2, enrich: { enrichers, options, onThreads } };
    for await (const b of decodeInput(input, decodeOptions)) batches.push(b);
    assert.ok(decodeThreadJobs() > jobs, 'segments went to a decode thread');
    let spreadRows = 0;
    for (const b of batches) {
      const src = b.column('srcaddr');
      assert.ok(src?.kind === 'str' && src.keys, 'the scanner keys of srcaddr');
      assert.equal(src.keys.keys.length, src.dict.length);
      const cid = b.column('community_id');
      assert.ok(cid?.kind === 'str' && cid.digests, 'the community id digests');
      assert.ok(cid.digests.length >= 5 * cid.dict.length);
      const country = b.column('dst_country');
      const lat = b.column('dst_lat');
      assert.ok(country?.kind === 'str' && country.spread && lat?.kind === 'num' && lat.spread);
      assert.equal(country.spread.rowIds, lat.spread.rowIds, 'columns of one endpoint share their row ids');
      for (let i = 0; i < b.length; i++) {
        assert.equal(country.codes[i], country.spread.of[country.spread.rowIds[i]!]);
        assert.ok(Object.is(lat.values[i], lat.spread.of[lat.spread.rowIds[i]!]));
      }
      spreadRows += b.length;
    }
    assert.equal(spreadRows, v5.truth.records - v5.truth.malformed);
  });
});
