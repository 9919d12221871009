import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlowBatch } from '../../src/batch/flow-batch.js';
import { fromMessage, toMessage } from '../../src/batch/message.js';
import { RunStats } from '../../src/core/stats.js';
import type { SourceInput } from '../../src/core/types.js';
import { decodeInput } from '../../src/decode/detect.js';
import { otelMapping } from '../../src/schema/otel.js';
import type { OtelMapping } from '../../src/schema/types.js';
import { ProtoRequestEncoder } from '../../src/sinks/otlp/proto-encoder.js';
import { SCOPE } from '../../src/sinks/otlp/sink.js';
import { decodeProtoRequest } from '../receivers/otlp-proto.js';

/**
 * Batches from the text decoder carry their original lines, and the protobuf encoder copies a
 * record's line as its body in one piece. The requests must be byte for byte those of the same
 * batch without the lines (body rebuilt from the columns), on both of the encoder's plan paths.
 */

const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const RECORDS = Array.from(
  { length: 300 },
  (_, i) =>
    `2 12345678901${i % 2} eni-${i % 9}a ${i % 4 === 0 ? '-' : `10.0.${i % 200}.${i % 7}`} 2001:db8::${i % 11} ${i % 5 === 0 ? '-' : 1024 + i} 443 ${[6, 17, 1, 58][i % 4]} ${i} ${i * 977} 1620000000 ${1620000000 + i} ${i % 3 ? 'ACCEPT' : 'REJECT'} ${i % 50 === 0 ? 'NODATA' : 'OK'}`,
);

function input(text: string | Buffer, chunk = 997): SourceInput {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  return {
    ref: { id: 'lines.log' },
    size: bytes.length,
    async *open() {
      for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
    },
  };
}

async function decoded(text: string | Buffer, batchSize = 64): Promise<FlowBatch[]> {
  const out: FlowBatch[] = [];
  for await (const b of decodeInput(input(text), { stats: new RunStats(), batchSize })) out.push(b);
  return out;
}

const withoutText = (b: FlowBatch): FlowBatch =>
  new FlowBatch(b.fields, b.columns, b.length, b.source, b.positions);

/** Every record of the batches through one encoder, in requests of at most `limit` bytes. */
function encode(
  mapping: OtelMapping,
  batches: readonly FlowBatch[],
  columns: boolean,
  limit = 1 << 20,
): Buffer[] {
  const enc = new ProtoRequestEncoder(mapping, SCOPE, 256);
  const out: Buffer[] = [];
  const start = (): void => {
    enc.begin(1_700_000_000, Buffer.allocUnsafe(limit + 1024));
    enc.openResource('r', () => new Map());
  };
  start();
  for (const batch of batches) {
    const rows = Int32Array.from({ length: batch.length }, (_, i) => i);
    let r = 0;
    while (r < rows.length) {
      if (columns) r = enc.records(batch, rows, r, limit);
      else enc.record(batch, rows[r++]!);
      if (enc.size >= limit) {
        out.push(Buffer.from(enc.finish().body));
        start();
      }
    }
  }
  out.push(Buffer.from(enc.finish().body));
  return out;
}

const bodies = (requests: readonly Buffer[]): (string | null)[] =>
  requests.flatMap((r) => decodeProtoRequest(r).records.map((x) => x.body as string | null));

describe('otlp protobuf: the body is the original line', () => {
  it('requests are byte-identical with and without the original lines', async () => {
    const batches = await decoded(`${HEADER}\n${RECORDS.join('\n')}\n`);
    assert.ok(batches.every((b) => b.text !== undefined));
    const bare = batches.map(withoutText);
    for (const options of [{}, { timeField: 'start' as const }, { body: 'summary' as const }]) {
      for (const limit of [600, 1 << 20]) {
        const mapping = otelMapping(options);
        const expected = encode(mapping, bare, true, limit);
        assert.deepEqual(
          encode(mapping, batches, true, limit),
          expected,
          `columns ${JSON.stringify(options)} ${limit}`,
        );
        assert.deepEqual(
          encode(mapping, batches, false, limit),
          expected,
          `rows ${JSON.stringify(options)} ${limit}`,
        );
      }
    }
    assert.deepEqual(bodies(encode(otelMapping(), batches, true)), RECORDS);
  });

  it('irregular blanks: the original line is sent as written', async () => {
    const text = `${HEADER}\n${RECORDS[1]!.replaceAll(' ', '\t')}\n${RECORDS[2]!.replace(' ', '   ')}\r\n`;
    const batches = await decoded(text);
    const expected = [RECORDS[1]!.replaceAll(' ', '\t'), RECORDS[2]!.replace(' ', '   ')];
    assert.deepEqual(bodies(encode(otelMapping(), batches, true)), expected);
    assert.deepEqual(bodies(encode(otelMapping(), batches, false)), expected);
  });

  it('bytes that are not UTF-8: the body is the rebuilt line, still valid UTF-8', async () => {
    const bad = Buffer.concat([
      Buffer.from(`${HEADER}\n${RECORDS[3]}\n2 123456789010 eni-`),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(' 10.0.0.1 10.0.0.2 1 2 6 1 40 1620000000 1620000060 ACCEPT OK\n'),
    ]);
    const batches = await decoded(bad);
    const requests = encode(otelMapping(), batches, true);
    assert.deepEqual(requests, encode(otelMapping(), batches.map(withoutText), true));
    const [first, second] = bodies(requests);
    assert.equal(first, RECORDS[3]);
    assert.equal(second, batches[0]!.line(1));
    assert.match(second!, /eni-\ufffd\( /);
  });

  it('the lines cross to encoding threads with the batch', async () => {
    const [batch] = await decoded(`${HEADER}\n${RECORDS.slice(0, 5).join('\n')}\n`);
    const copy = fromMessage(structuredClone(toMessage(batch!)));
    assert.ok(copy.text);
    for (let i = 0; i < 5; i++) assert.equal(copy.line(i), RECORDS[i]);
  });
});
