import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { RunStats } from '../../src/core/stats.js';
import { decodeFirehoseRecord } from '../../src/decode/memory.js';
import { bytesInput, decode, decodeFixture, fixtureBytes } from './helpers.js';

const LINE_A =
  '2 647604195155 eni-05fdd58317a3a58e4 10.30.2.238 10.30.1.217 8089 39016 6 22 10527 1643160732 1643160792 ACCEPT OK';
const LINE_B =
  '2 647604195155 eni-05fdd58317a3a58e4 10.30.1.217 10.30.2.238 39016 8089 6 24 3015 1643160732 1643160792 ACCEPT OK';

async function record(data: Uint8Array, position = 1): Promise<{ batches: FlowBatch[]; stats: RunStats }> {
  const stats = new RunStats();
  const batches: FlowBatch[] = [];
  for await (const b of decodeFirehoseRecord(data, { stats, source: { id: 'firehose:req-1' }, position })) {
    batches.push(b);
  }
  return { batches, stats };
}

describe('Firehose records', () => {
  it('decodes a {"message": line} wrapper', async () => {
    const { batches, stats } = await record(Buffer.from(JSON.stringify({ message: LINE_A })), 7);
    assert.equal(batches.length, 1);
    const b = batches[0]!;
    assert.equal(b.source.id, 'firehose:req-1');
    assert.deepEqual(Array.from(b.positions), [7]);
    assert.equal(b.str('srcaddr', 0), '10.30.2.238');
    assert.equal(b.num('bytes', 0), 10527);
    assert.equal(stats.records, 1);
  });

  it('decodes bare lines: one without a newline, or several', async () => {
    const one = await record(Buffer.from(LINE_A));
    assert.equal(one.batches[0]!.length, 1);
    const two = await record(Buffer.from(`${LINE_A}\n${LINE_B}\n`));
    assert.equal(two.batches[0]!.length, 2);
    assert.equal(two.batches[0]!.num('srcport', 1), 39016);
  });

  it('decodes a gzipped CloudWatch Logs payload inside a record', async () => {
    const { batches } = await record(gzipSync(fixtureBytes('cloudwatch.json')));
    assert.equal(batches.length, 1);
    assert.equal(batches[0]!.source.id, 'cwl:/aws/vpc/flowlogs/eni-1235b8ca123456789');
    assert.equal(batches[0]!.recordIds?.length, 2);
  });

  it('counts a control message and a malformed line; an empty record yields nothing', async () => {
    const control = fixtureBytes('cloudwatch-control.json').toString().split('\n')[0]!;
    const c = await record(gzipSync(control));
    assert.equal(c.batches.length, 0);
    assert.equal(c.stats.control, 1);
    const bad = await record(Buffer.from('2 647604195155 eni-1 oops'));
    assert.equal(bad.batches.length, 0);
    assert.equal(bad.stats.malformed, 1);
    assert.equal(bad.stats.malformedSamples[0]!.source, 'firehose:req-1');
    const empty = await record(new Uint8Array(0));
    assert.equal(empty.batches.length, 0);
    assert.equal(empty.stats.malformed, 0);
  });

  it('reads a file of wrapper records', async () => {
    const d = await decodeFixture('firehose-wrapper.json');
    assert.equal(d.rows.length, 2);
    assert.equal(d.rows[1]!.srcaddr, '10.30.1.217');
    assert.deepEqual(d.positions, [1, 2]);
  });

  it('reads a Firehose HTTP endpoint request body from a file', async () => {
    const body = {
      requestId: 'ed4acda5-034f-9f42-bba1-f29aea6d7d8f',
      timestamp: 1578090901599,
      records: [
        { data: Buffer.from(JSON.stringify({ message: LINE_A })).toString('base64') },
        { data: Buffer.from(LINE_B).toString('base64') },
        { data: gzipSync(fixtureBytes('cloudwatch.json')).toString('base64') },
      ],
    };
    const d = await decode(bytesInput('request.json', gzipSync(JSON.stringify(body))));
    assert.equal(d.error, undefined);
    assert.equal(d.rows.length, 4);
    const plain = d.batches.find((b) => b.source.id === 'firehose:ed4acda5-034f-9f42-bba1-f29aea6d7d8f');
    assert.ok(plain);
    assert.deepEqual(Array.from(plain.positions), [1, 2]);
    assert.ok(d.batches.some((b) => b.source.id.startsWith('cwl:')));
  });
});
