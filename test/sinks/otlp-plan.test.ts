import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowBatch, StrColumn } from '../../src/batch/flow-batch.js';
import { otelDocumentSchema, otelMapping } from '../../src/schema/otel.js';
import type { AttributeWriter, OtelMapping, OtelPlan, SchemaOptions } from '../../src/schema/types.js';
import { isoTime } from '../../src/schema/view.js';
import { ProtoRequestEncoder } from '../../src/sinks/otlp/proto-encoder.js';
import { SCOPE } from '../../src/sinks/otlp/sink.js';
import { makeBatch as linesBatch } from '../enrich/make-batch.js';
import { decodeProtoRequest } from '../receivers/otlp-proto.js';
import { enrichedFixture, FIXTURES, fixtureBatch } from '../schema/fixtures.js';
import { makeBatch } from './helpers.js';

/**
 * The compiled per-batch plan of the OTel mapping must write exactly what the visitor writes:
 * the plan is interpreted here independently and compared with the visitor row by row; and the
 * encoder's fast writer (on the plan) must produce the reference writer's (the visitor's)
 * requests byte for byte, which decode to the OTel document form.
 */

/** Rows that take every rule's odd branch: IPv6, packet addresses, nulls, negative, fractional, huge, unicode. */
const EDGE_HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status type pkt-srcaddr pkt-dstaddr flow-direction traffic-path vpc-id';
const EDGE_LINES = [
  '5 123456789010 eni-aa 10.0.1.5 52.216.8.11 40126 443 6 25 8800 1620000000 1620000060 ACCEPT OK IPv4 10.0.1.5 52.216.8.11 egress 7 vpc-ü',
  '5 123456789010 eni-aa 10.0.1.5 10.0.2.9 53 40127 17 1 120 1620000000 1620000060 REJECT OK IPv4 8.8.8.8 10.0.1.5 ingress - vpc-01',
  '5 123456789010 eni-aa 10.0.1.5 10.0.2.9 53 40127 17 1 120 1620000000 - ACCEPT OK IPv4 - 10.0.3.3 egress 2 -',
  '5 123456789010 eni-bb 2001:db8::1 2001:db8::2 443 50000 58 3 5000000000 - 1620000061 ACCEPT OK IPv6 - - ingress - -',
  '5 123456789010 eni-bb 2001:db8::1 10.0.0.1 -5 80 300 1.5 9007199254740991 1620000000.25 1620000060 - OK EFA - - - 1 -',
  '5 - - - - - - - - - 1620000000 1620000060 - NODATA - - - - - -',
  '5 210987654321 eni-cc 10.0.0.1 10.0.0.2 22 22 6 2 80 1620000000 1620000060 ACCEPT SKIPDATA - 10.0.0.1 - egress - -',
  '5 210987654321 eni-cc fe80::1 - 22 22 4 2 80 1620000000 1620000060 ACCEPT OK - - - - - -',
];
const edgeBatch = (): FlowBatch => linesBatch(EDGE_HEADER, EDGE_LINES, { id: 'edge.log' });
/** The v2 format without any time column (no record time at all). */
const noTimeBatch = (): FlowBatch =>
  linesBatch('version srcaddr dstaddr action', ['2 10.0.0.1 10.0.0.2 ACCEPT', '2 - - REJECT'], { id: 'nt' });

const BATCHES: readonly (readonly [string, () => Promise<FlowBatch> | FlowBatch])[] = [
  ...FIXTURES.map((f) => [`${f}`, () => fixtureBatch(f)] as const),
  ...FIXTURES.map((f) => [`${f} enriched`, () => enrichedFixture(f)] as const),
  ['edge rows', edgeBatch],
  ['no time columns', noTimeBatch],
  // records whose last field is the body: nothing may spill into the next record
  [
    'records without attributes',
    () => linesBatch('vpc-id tcp-flags', ['- -', '- 2', 'vpc-1 -', '- -'], { id: 'na' }),
  ],
  ['sink test batch', () => makeBatch(300)],
];

const OPTIONS: readonly SchemaOptions[] = [{}, { timeField: 'start' }, { body: 'summary' }, { body: 'none' }];

const hasFraction = (batch: FlowBatch, i: number): boolean =>
  batch.columns.some(
    (c) => c.kind === 'num' && !Number.isNaN(c.values[i]!) && !Number.isInteger(c.values[i]!),
  );

type Entry = readonly [key: string, value: unknown];

/** The attributes a writer receives, in order. */
function listWriter(out: Entry[]): AttributeWriter {
  return {
    str: (k, v) => out.push([k, v]),
    int: (k, v) => out.push([k, Math.trunc(v)]),
    dbl: (k, v) => out.push([k, v]),
    bool: (k, v) => out.push([k, v]),
    strArray: (k, v) => out.push([k, [...v]]),
  };
}

const strOf = (c: StrColumn, i: number): string | null => (c.codes[i] === 0 ? null : c.dict[c.codes[i]!]!);

/** Row i as the plan says it should be written, interpreted independently of the encoder. */
function interpret(plan: OtelPlan, i: number) {
  let time: number | null = null;
  for (const col of plan.time) {
    if (!Number.isNaN(col[i]!)) {
      time = col[i]!;
      break;
    }
  }
  const action = plan.severity.column ? strOf(plan.severity.column, i) : null;
  let body: string | null = null;
  if (plan.body.kind === 'text') body = plan.body.text(i);
  else if (plan.body.kind === 'line') {
    body = plan.body.columns
      .map((c) => {
        if (c.kind === 'num') return Number.isNaN(c.values[i]!) ? '-' : String(c.values[i]);
        return strOf(c, i) ?? '-';
      })
      .join(' ');
  }
  const attrs: Entry[] = [];
  const w = listWriter(attrs);
  for (const op of plan.attributes) {
    switch (op.kind) {
      case 'str':
        for (const s of op.sources) {
          const v = strOf(s.column, i);
          if (v === null) continue;
          const kv = s.entry ? s.entry(v) : ([s.key, v] as const);
          if (kv) attrs.push(kv);
          break;
        }
        break;
      case 'int':
        if (!Number.isNaN(op.values[i]!)) attrs.push([op.key, Math.trunc(op.values[i]!)]);
        break;
      case 'dbl':
        if (!Number.isNaN(op.values[i]!)) attrs.push([op.key, op.values[i]!]);
        break;
      case 'numText': {
        const v = op.values[i]!;
        if (Number.isNaN(v)) break;
        const text = (op.override && strOf(op.override, i)) ?? op.text(v);
        if (text !== null) attrs.push([op.key, text]);
        break;
      }
      case 'pick': {
        const k = op.choose(i);
        if (k >= 0) attrs.push([op.key, strOf(op.columns[k]!, i)]);
        break;
      }
      case 'strList': {
        const list = op.values[i];
        if (list != null) attrs.push([op.key, [...list]]);
        break;
      }
      default:
        op.write(i, w);
    }
  }
  return {
    time,
    severityNumber: plan.severity.number(action),
    severityText: plan.severity.text(action),
    body,
    attrs,
  };
}

function visit(mapping: OtelMapping, batch: FlowBatch, i: number) {
  const attrs: Entry[] = [];
  mapping.attributes(batch, i, listWriter(attrs));
  return {
    time: mapping.timeSeconds(batch, i),
    severityNumber: mapping.severityNumber(batch, i),
    severityText: mapping.severityText(batch, i),
    body: mapping.body(batch, i),
    attrs,
  };
}

type Path = 'reference' | 'fast';

/** Every record of the batch in requests of at most `limit` bytes, through one of the encoder's writers. */
function encode(mapping: OtelMapping, batch: FlowBatch, path: Path, limit: number): Buffer[] {
  const enc = new ProtoRequestEncoder(mapping, SCOPE, 256);
  const out: Buffer[] = [];
  const rows = Int32Array.from({ length: batch.length }, (_, i) => i);
  const start = (): void => {
    enc.begin(1_700_000_000.5, Buffer.allocUnsafe(limit + 1024));
    enc.openResource('r', () => new Map());
  };
  start();
  let r = 0;
  while (r < rows.length) {
    if (path === 'fast') r = enc.records(batch, rows, r, limit);
    else enc.record(batch, rows[r++]!);
    if (enc.size >= limit && r < rows.length) {
      out.push(Buffer.from(enc.finish().body));
      start();
    }
  }
  out.push(Buffer.from(enc.finish().body));
  return out;
}

describe('otel plan: the compiled mapping writes what the visitor writes', () => {
  for (const [name, load] of BATCHES) {
    it(name, async () => {
      const batch = await load();
      for (const options of OPTIONS) {
        const mapping = otelMapping(options);
        const plan = mapping.plan(batch);
        assert.ok(plan, `${name}: no plan`);
        for (let i = 0; i < batch.length; i++) {
          assert.deepEqual(
            interpret(plan, i),
            visit(mapping, batch, i),
            `${name} row ${i} ${JSON.stringify(options)}`,
          );
        }
      }
    });
  }

  it('the plan resolves columns once per batch and is reused for the same batch', () => {
    const batch = edgeBatch();
    const mapping = otelMapping();
    assert.equal(mapping.plan(batch), mapping.plan(batch));
    assert.notEqual(mapping.plan(batch), mapping.plan(edgeBatch()));
  });
});

describe('otlp protobuf encoder: the fast writer writes what the reference writer writes, byte for byte', () => {
  for (const [name, load] of BATCHES) {
    it(name, async () => {
      const batch = await load();
      for (const options of OPTIONS) {
        const mapping = otelMapping(options);
        const expected = encode(mapping, batch, 'reference', 1 << 20);
        assert.deepEqual(
          encode(mapping, batch, 'fast', 1 << 20),
          expected,
          `${name} ${JSON.stringify(options)}`,
        );
        // and they decode to the OTel document form of each row
        const docs = otelDocumentSchema(options);
        const { records } = decodeProtoRequest(expected[0]!);
        assert.equal(records.length, batch.length);
        for (let i = 0; i < batch.length; i++) {
          // OTLP int attributes are int64: a fractional count is truncated there, kept in the document
          if (hasFraction(batch, i)) continue;
          const r = records[i]!;
          const doc: Record<string, unknown> = {};
          if (r.timeUnixNano !== '0') doc.time = isoTime(Number(BigInt(r.timeUnixNano) / 1_000_000n) / 1000);
          doc.severity_number = r.severityNumber;
          doc.severity_text = r.severityText;
          if (r.body !== null) doc.body = r.body;
          const expectedDoc = { ...docs.document(batch, i) };
          // resource attributes are the sink's part, not the record's
          for (const k of Object.keys(expectedDoc))
            if (k.startsWith('cloud.') || k.startsWith('aws.s3.') || k.startsWith('aws.log.'))
              delete expectedDoc[k];
          assert.deepEqual({ ...doc, ...r.attributes }, expectedDoc, `${name} row ${i}`);
        }
      }
    });
  }

  it('small request limits: every call writes at least one record and requests split alike', () => {
    const batch = makeBatch(500);
    const mapping = otelMapping();
    for (const limit of [64, 700, 5000, 40_000]) {
      const reference = encode(mapping, batch, 'reference', limit);
      const fast = encode(mapping, batch, 'fast', limit);
      assert.deepEqual(fast, reference, `limit ${limit}`);
      const total = fast.reduce((n, body) => n + decodeProtoRequest(body).records.length, 0);
      assert.equal(total, batch.length);
      if (limit === 64) assert.equal(fast.length, batch.length);
    }
  });
});
