/**
 * Each field's value is checked against its domain in the catalog (src/fields/catalog.ts): a
 * line with a value outside is malformed, with its position and a sample, whichever decoder
 * (the JavaScript row parser, the WebAssembly scanner) read it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { RunStats } from '../../src/core/stats.js';
import { TextBatcher } from '../../src/decode/text.js';
import { FIELDS, findField } from '../../src/fields/catalog.js';
import { fixtureBytes, type Outcome, outcomeOf } from './helpers.js';

function run(bytes: Buffer, scanner: boolean, chunk: number): Outcome {
  const stats = new RunStats();
  const batcher = new TextBatcher({
    source: { id: 'input.log' },
    origin: 'input.log',
    batchSize: 4,
    stats,
    headers: true,
    scanner,
  });
  const batches: FlowBatch[] = [];
  for (let i = 0; i < bytes.length; i += chunk) {
    batcher.push(bytes.subarray(i, i + chunk));
    batches.push(...batcher.take());
  }
  batcher.end();
  batches.push(...batcher.take());
  return outcomeOf(batches, stats);
}

/** The outcome, the same with the WebAssembly scanner as without, for several chunkings. */
function decodeBothWays(name: string): Outcome {
  const bytes = fixtureBytes(name);
  const js = run(bytes, false, bytes.length);
  for (const chunk of [bytes.length, 97, 5]) {
    assert.deepEqual(run(bytes, true, chunk), js, `scanner, chunks of ${chunk}`);
    assert.deepEqual(run(bytes, false, chunk), js, `JavaScript, chunks of ${chunk}`);
  }
  return js;
}

describe('field domains', () => {
  it('the catalog gives every field a domain', () => {
    for (const f of FIELDS) assert.ok(f.domain, f.name);
    assert.deepEqual(findField('srcport')!.domain, { kind: 'number', max: 65535 });
    assert.deepEqual(findField('protocol')!.domain, { kind: 'number', max: 255 });
    assert.deepEqual(findField('bytes')!.domain, { kind: 'number', max: Number.MAX_SAFE_INTEGER });
    assert.deepEqual(findField('srcaddr')!.domain, { kind: 'address' });
    assert.deepEqual(findField('action')!.domain, { kind: 'word', values: ['ACCEPT', 'REJECT'] });
    assert.deepEqual(findField('start')!.domain, { kind: 'time' });
    assert.deepEqual(findField('interface-id')!.domain, { kind: 'text' });
  });

  it('values outside their field are malformed lines, named with line and sample', () => {
    const out = decodeBothWays('out-of-domain.log');
    const problems = (
      out.stats.malformed_samples as Array<{ line: number; message: string; sample: string }>
    ).map((m) => [m.line, m.message]);
    assert.deepEqual(problems, [
      [2, 'field srcport: "70000" is out of range (0 to 65535)'],
      [3, 'field protocol: "999" is out of range (0 to 255)'],
      [4, 'field srcaddr: "notanip" is not an IP address'],
      [5, 'field action: "1040ECEPT" is not one of ACCEPT, REJECT'],
      [6, 'field srcaddr: "10.32.e3ce00b6e36e38872eC" is not an IP address'],
      [7, 'field packets: "18446744073709551617" is out of range (0 to 9007199254740991)'],
      [8, 'field bytes: "9223372036854775808" is out of range (0 to 9007199254740991)'],
      [9, 'field log-status: "FINE" is not one of OK, NODATA, SKIPDATA'],
      [10, 'field start: "253402300800000" is not a time (Unix seconds, or milliseconds, up to year 9999)'],
    ]);
    const samples = out.stats.malformed_samples as Array<{ sample: string }>;
    assert.match(samples[0]!.sample, /^2 123456789012 eni-0a1b2c3d 10\.0\.0\.1 10\.0\.0\.2 70000 /);
    assert.equal(out.stats.malformed, 9);
    // the bounds themselves are in the domain
    assert.equal(out.rows.length, 2);
    assert.equal(out.rows[0]!.srcport, 65535);
    assert.equal(out.rows[0]!.protocol, 255);
    assert.equal(out.rows[0]!.packets, 9007199254740991);
    assert.equal(out.rows[1]!.dstaddr, '::ffff:10.0.0.2');
    assert.deepEqual(out.positions, [11, 12]);
  });

  it('start and end in milliseconds are read as Unix seconds (flowlogs-reader test_millisecond_timestamp)', () => {
    const out = decodeBothWays('millisecond-times.log');
    assert.equal(out.stats.malformed, 0);
    assert.equal(out.rows.length, 2);
    // flowlogs-reader: start 2017-12-06T12:40:58Z, end 2017-12-06T12:40:59Z
    assert.equal(out.rows[0]!.start, 1512564058);
    assert.equal(out.rows[0]!.end, 1512564059);
    assert.equal(out.rows[0]!.log_status, 'SKIPDATA');
    // whole seconds: the milliseconds are dropped
    assert.equal(out.rows[1]!.start, 1512564058);
  });
});
