import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlowBatch } from '../../src/batch/flow-batch.js';
import { RunStats } from '../../src/core/stats.js';
import type { SourceInput } from '../../src/core/types.js';
import { decodeInput } from '../../src/decode/detect.js';
import { otelMapping } from '../../src/schema/otel.js';
import type { OtelMapping } from '../../src/schema/types.js';
import { ProtoRequestEncoder } from '../../src/sinks/otlp/proto-encoder.js';
import { SCOPE } from '../../src/sinks/otlp/sink.js';
import { copyWords, WordArena } from '../../src/sinks/otlp/word-arena.js';
import { decodeProtoRequest, ExportLogsServiceRequest } from '../receivers/otlp-proto.js';

/**
 * The fast record writer (records written row after row, pieces copied 8 bytes at a time,
 * lengths patched afterwards) must produce the same bytes with the batches' original lines and
 * without them (bodies rebuilt per row), and the reference writer's; every request must decode
 * with the protocol definitions.
 */

const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

function input(text: string): SourceInput {
  const bytes = Buffer.from(text);
  return {
    ref: { id: 'direct.log' },
    size: bytes.length,
    async *open() {
      for (let i = 0; i < bytes.length; i += 4096) yield bytes.subarray(i, i + 4096);
    },
  };
}

async function decoded(text: string): Promise<FlowBatch[]> {
  const out: FlowBatch[] = [];
  for await (const b of decodeInput(input(text), { stats: new RunStats(), batchSize: 50 })) out.push(b);
  return out;
}

const withoutText = (b: FlowBatch): FlowBatch =>
  new FlowBatch(b.fields, b.columns, b.length, b.source, b.positions);

/**
 * Every record through one encoder whose first buffer holds `initial` bytes (it must grow), by
 * `records` (the direct writer for batches with lines) or, with `rows`, by `record` per row.
 */
function encode(
  mapping: OtelMapping,
  batches: readonly FlowBatch[],
  limit: number,
  initial: number,
  rows = false,
): Buffer[] {
  const enc = new ProtoRequestEncoder(mapping, SCOPE, 64);
  const out: Buffer[] = [];
  const start = (): void => {
    enc.begin(1_700_000_000, Buffer.allocUnsafe(initial));
    enc.openResource('r', () => new Map());
  };
  start();
  for (const batch of batches) {
    const order = Int32Array.from({ length: batch.length }, (_, i) => i);
    let r = 0;
    while (r < order.length) {
      if (rows) enc.record(batch, order[r++]!);
      else r = enc.records(batch, order, r, limit);
      if (enc.size >= limit) {
        out.push(Buffer.from(enc.finish().body));
        start();
      }
    }
  }
  out.push(Buffer.from(enc.finish().body));
  return out;
}

const line = (
  i: number,
  fields: Partial<Record<'srcport' | 'packets' | 'bytes' | 'iface', string>> = {},
): string =>
  `2 12345678901${i % 3} ${fields.iface ?? `eni-${i % 7}`} 10.0.${i % 250}.${i % 9} 2001:db8::${i % 13} ${fields.srcport ?? String(1024 + (i % 60000))} 443 ${[6, 17, 1, 58, 255][i % 5]} ${fields.packets ?? String(i)} ${fields.bytes ?? String(i * 1_000_003)} 1620000000 ${1620000000 + i} ${i % 4 ? 'ACCEPT' : 'REJECT'} OK`;

describe('otlp protobuf: the fast record writer', () => {
  it('writes the same bytes with and without the original lines, buffers growing from 64 bytes, small and large requests', async () => {
    const lines = Array.from({ length: 400 }, (_, i) =>
      line(i, i % 37 === 0 ? { bytes: '9007199254740991' } : {}),
    );
    const batches = await decoded(`${HEADER}\n${lines.join('\n')}\n`);
    assert.ok(batches.length > 1 && batches.every((b) => b.text !== undefined));
    for (const limit of [64, 3000, 1 << 20]) {
      const direct = encode(otelMapping(), batches, limit, 64);
      assert.deepEqual(direct, encode(otelMapping(), batches.map(withoutText), limit, 64), `limit ${limit}`);
      const records = direct.flatMap((r) => decodeProtoRequest(r).records);
      assert.deepEqual(
        records.map((r) => r.body),
        lines,
      );
      assert.equal(records[37]!.attributes['aws.vpc.flow.bytes'], 9007199254740991);
      assert.equal(records[1]!.attributes['network.protocol.name'], 'udp');
      assert.equal(records[4]!.attributes['network.protocol.name'], undefined);
    }
    assert.deepEqual(
      encode(otelMapping(), batches, 1 << 20, 64),
      encode(otelMapping(), batches, 1 << 20, 64, true),
    );
  });

  it('negative and fractional numbers (batches built otherwise) go through the visitor writer', async () => {
    const [batch] = await decoded(`${HEADER}\n${Array.from({ length: 20 }, (_, i) => line(i)).join('\n')}\n`);
    const num = (name: string): Float64Array => {
      const c = batch!.column(name);
      assert.ok(c?.kind === 'num');
      return c.values;
    };
    num('srcport')[3] = -5;
    num('packets')[4] = 1.5;
    num('protocol')[5] = 1000;
    num('end')[6] = 1620000000.25;
    const direct = encode(otelMapping(), [batch!], 1 << 20, 64);
    assert.deepEqual(direct, encode(otelMapping(), [batch!], 1 << 20, 64, true));
    const records = decodeProtoRequest(direct[0]!).records;
    assert.equal(records[3]!.attributes['source.port'], -5);
    assert.equal(records[4]!.attributes['aws.vpc.flow.packets'], 1);
    assert.equal(records[5]!.attributes['network.protocol.name'], undefined);
    assert.equal(records[6]!.timeUnixNano, '1620000000250000000');
  });

  it('records of 128 bytes or more, shorter ones and one past 16 KiB get minimal lengths', async () => {
    const long = `eni-${'x'.repeat(20_000)}`;
    const lines = [line(0), line(1, { iface: long }), line(2)];
    const short = ['- - - - - - - - - - - - - -', '- - - - - - - - - - - - - OK'];
    for (const text of [lines, short, [...short, ...lines]]) {
      const batches = await decoded(`${HEADER}\n${text.join('\n')}\n`);
      const direct = encode(otelMapping(), batches, 1 << 20, 64);
      assert.deepEqual(direct, encode(otelMapping(), batches.map(withoutText), 1 << 20, 64));
      const records = direct.flatMap((r) => decodeProtoRequest(r).records);
      assert.deepEqual(
        records.map((r) => r.body),
        text,
      );
    }
    const [request] = encode(otelMapping(), await decoded(`${HEADER}\n${lines[1]}\n`), 1 << 20, 64);
    // protobufjs reads each record's length: the 20 kB interface name arrives whole
    const decodedRequest = ExportLogsServiceRequest.toObject(ExportLogsServiceRequest.decode(request!)) as {
      resourceLogs: { scopeLogs: { logRecords: { body: { stringValue: string } }[] }[] }[];
    };
    assert.equal(decodedRequest.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body.stringValue, lines[1]);
  });

  it('resource and scope lengths are minimal varints, small groups and full requests alike', async () => {
    const lines = Array.from({ length: 2500 }, (_, i) => line(i));
    const batches = await decoded(`${HEADER}\n${lines.join('\n')}\n`);
    for (const initial of [64, (1 << 20) + 65536]) {
      const requests = encode(otelMapping(), batches, 1 << 20, initial);
      assert.ok(requests.length >= 2);
      for (const request of requests) {
        // ExportLogsServiceRequest.resource_logs (tag 0x0a): its length ends the request
        assert.equal(request[0], 0x0a);
        let len = 0;
        let p = 1;
        for (let shift = 0; ; shift += 7) {
          const b = request[p++]!;
          len += (b & 0x7f) * 2 ** shift;
          if (b < 0x80) {
            assert.ok(b !== 0 || p === 2, 'no padding byte');
            break;
          }
        }
        assert.equal(len, request.length - p);
      }
      const records = requests.flatMap((r) => decodeProtoRequest(r).records);
      assert.deepEqual(
        records.map((r) => r.body),
        lines,
      );
    }
  });
});

describe('word arena copies', () => {
  it('keep every byte pattern (NaN payloads too) at any destination offset', () => {
    const arena = new WordArena();
    const patterns: Buffer[] = [];
    for (let k = 0; k < 300; k++) {
      const n = 1 + ((k * 13) % 61);
      const b = Buffer.alloc(n);
      for (let j = 0; j < n; j++) b[j] = (k * 131 + j * 71) & 0xff;
      // exponent bits all set: quiet and signalling NaNs, infinities, in every word position
      for (let j = 7; j < n; j += 8) {
        b[j] = k % 2 ? 0x7f : 0xff;
        b[j - 1] = 0xf0 | (k % 16);
      }
      patterns.push(b);
    }
    const offsets = patterns.map((p) => {
      const at = arena.alloc(p.length);
      p.copy(arena.bytes, at);
      return at;
    });
    const out = Buffer.alloc(64 * 300 + 64);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    let pos = 3;
    const expected: Buffer[] = [];
    for (let round = 0; round < 50; round++) {
      pos = 3 + (round % 8);
      expected.length = 0;
      for (let k = 0; k < patterns.length; k++) {
        pos = copyWords(view, pos, arena.words, offsets[k]!, patterns[k]!.length);
        expected.push(patterns[k]!);
      }
      assert.deepEqual(out.subarray(3 + (round % 8), pos), Buffer.concat(expected), `round ${round}`);
    }
  });
});
