import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { RunStats } from '../../src/core/stats.js';
import { decodeCloudWatchPayload } from '../../src/decode/memory.js';
import { parseFormat } from '../../src/fields/format.js';
import { bytesInput, decode, decodeFixture, fixtureBytes } from './helpers.js';

const EVENT_IDS = [
  '31953106606966983378809025079804211143289615424298221568',
  '31953106606966983378809025079804211143289615424298221569',
];

function assertPayloadBatch(batch: FlowBatch): void {
  assert.equal(batch.source.id, 'cwl:/aws/vpc/flowlogs/eni-1235b8ca123456789');
  assert.deepEqual(batch.source.context, {
    logGroup: '/aws/vpc/flowlogs',
    logStream: 'eni-1235b8ca123456789',
    owner: '123456789010',
  });
  assert.deepEqual(batch.recordIds, EVENT_IDS);
  assert.deepEqual(Array.from(batch.positions), [1, 2]);
  assert.equal(batch.length, 2);
  assert.equal(batch.str('srcaddr', 0), '172.31.16.139');
  assert.equal(batch.num('dstport', 1), 3389);
  assert.equal(batch.str('action', 1), 'REJECT');
}

async function collect(it: AsyncIterable<FlowBatch>): Promise<FlowBatch[]> {
  const out: FlowBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

describe('CloudWatch Logs subscription payloads', () => {
  const json = fixtureBytes('cloudwatch.json');

  it('decodes the plain JSON payload from a file', async () => {
    const d = await decodeFixture('cloudwatch.json');
    assert.equal(d.error, undefined);
    assert.equal(d.batches.length, 1);
    assertPayloadBatch(d.batches[0]!);
    assert.equal(d.stats.records, 2);
  });

  it('decodes gzip and base64-of-gzip payloads, detected from content', async () => {
    for (const bytes of [
      gzipSync(json),
      Buffer.from(gzipSync(json).toString('base64')),
      Buffer.from(json.toString('base64')),
    ]) {
      const d = await decode(bytesInput('payload.bin', bytes, 100));
      assert.equal(d.error, undefined);
      assert.equal(d.batches.length, 1);
      assertPayloadBatch(d.batches[0]!);
    }
  });

  it('skips CONTROL_MESSAGE payloads and counts them', async () => {
    const d = await decodeFixture('cloudwatch-control.json');
    assert.equal(d.stats.control, 1);
    assert.equal(d.rows.length, 1);
    assert.equal(d.rows[0]!.log_status, 'NODATA');
    assert.equal(d.stats.nodata, 1);
    assert.equal(d.batches[0]!.source.id, 'cwl:/aws/vpc/flowlogs/eni-0a1b2c3d4e5f60718');
  });

  it('reads several payloads in one file: one per line, or concatenated gzip members', async () => {
    const two = Buffer.concat([json, fixtureBytes('cloudwatch-control.json')]);
    const lines = await decode(bytesInput('lines.json', two, 37));
    assert.equal(lines.rows.length, 3);
    assert.equal(lines.stats.control, 1);
    assert.equal(lines.batches.length, 2, 'one batch per log stream');
    const members = Buffer.concat([gzipSync(json.toString().trim()), gzipSync(json.toString().trim())]);
    const gz = await decode(bytesInput('members.gz', members, 64));
    assert.equal(gz.error, undefined);
    assert.equal(gz.rows.length, 4);
    assertPayloadBatch(gz.batches[1]!);
  });

  it('uses the configured format for event messages', async () => {
    const payload = {
      messageType: 'DATA_MESSAGE',
      owner: '123456789010',
      logGroup: 'g',
      logStream: 's',
      subscriptionFilters: [],
      logEvents: [{ id: '1', timestamp: 0, message: 'eni-1 ACCEPT 10.0.0.1 443 6 egress 2' }],
    };
    const d = await decode(bytesInput('custom.json', Buffer.from(JSON.stringify(payload))), {
      format: parseFormat('interface-id action srcaddr dstport protocol flow-direction version'),
    });
    assert.deepEqual(d.rows, [
      {
        interface_id: 'eni-1',
        action: 'ACCEPT',
        srcaddr: '10.0.0.1',
        dstport: 443,
        protocol: 6,
        flow_direction: 'egress',
        version: 2,
      },
    ]);
  });

  it('counts a bad event line as malformed with the stream and event index, keeping the others', async () => {
    const payload = JSON.parse(json.toString());
    payload.logEvents.splice(1, 0, { id: 'x', timestamp: 0, message: '2 123 eni-1 not a flow line' });
    const d = await decode(bytesInput('bad.json', Buffer.from(JSON.stringify(payload))));
    assert.equal(d.rows.length, 2);
    assert.deepEqual(Array.from(d.batches[0]!.positions), [1, 3]);
    assert.deepEqual(d.batches[0]!.recordIds, EVENT_IDS);
    assert.equal(d.stats.malformed, 1);
    assert.equal(
      d.stats.malformedSamples[0]!.source,
      'bad.json (cwl:/aws/vpc/flowlogs/eni-1235b8ca123456789)',
    );
    assert.equal(d.stats.malformedSamples[0]!.line, 2);
  });

  it('counts invalid JSON and stray text as malformed with their line numbers', async () => {
    const text = `${json.toString().trim()}\n{"logEvents": [}\nhello\n${json.toString().trim()}\n`;
    const d = await decode(bytesInput('mixed.json', Buffer.from(text)));
    assert.equal(d.error, undefined);
    assert.equal(d.rows.length, 4);
    assert.equal(d.stats.malformed, 2);
    assert.deepEqual(
      d.stats.malformedSamples.map((p) => p.line),
      [2, 3],
    );
    assert.match(d.stats.malformedSamples[0]!.message, /^invalid JSON: /);
    assert.equal(d.stats.malformedSamples[1]!.message, 'text outside a JSON document');
  });

  it('reports a JSON document cut off at the end of the input', async () => {
    const d = await decode(bytesInput('cut.json', json.subarray(0, 200)));
    assert.ok(d.error);
    assert.equal(d.error.message, 'cut.json: the JSON document starting on line 1 is cut off');
  });

  describe('decodeCloudWatchPayload (in memory)', () => {
    it('accepts gzip and plain JSON bytes', async () => {
      for (const data of [gzipSync(json), new Uint8Array(json)]) {
        const stats = new RunStats();
        const batches = await collect(decodeCloudWatchPayload(data, { stats }));
        assert.equal(batches.length, 1);
        assertPayloadBatch(batches[0]!);
        assert.equal(stats.records, 2);
        assert.equal(stats.bytesIn, data.length);
      }
    });

    it('yields nothing for a control message and counts it', async () => {
      const control = fixtureBytes('cloudwatch-control.json').toString().split('\n')[0]!;
      const stats = new RunStats();
      const batches = await collect(decodeCloudWatchPayload(gzipSync(control), { stats }));
      assert.equal(batches.length, 0);
      assert.equal(stats.control, 1);
    });

    it('throws a clear error for bytes that are not a payload', async () => {
      const stats = new RunStats();
      await assert.rejects(
        collect(
          decodeCloudWatchPayload(Buffer.from('2 1 eni-1 x'), { stats, source: { id: 'kinesis:shard-1' } }),
        ),
        {
          message: 'kinesis:shard-1: not a CloudWatch Logs payload (neither JSON nor gzip of it)',
        },
      );
      await assert.rejects(
        collect(decodeCloudWatchPayload(gzipSync(json).subarray(0, 30), { stats })),
        /^Error: memory: gzip payload cannot be decompressed|memory: gzip payload cannot be decompressed/,
      );
    });
  });
});
