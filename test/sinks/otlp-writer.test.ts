import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { RunStats } from '../../src/core/stats.js';
import type { SourceInput } from '../../src/core/types.js';
import { decodeInput } from '../../src/decode/detect.js';
import { GENERATE_VERSIONS, sampleLines } from '../../src/generate/index.js';
import { otelMapping } from '../../src/schema/otel.js';
import type { OtelMapping } from '../../src/schema/types.js';
import { resourceAttributes } from '../../src/sinks/otlp/encoder.js';
import { ProtoRequestEncoder } from '../../src/sinks/otlp/proto-encoder.js';
import { SCOPE } from '../../src/sinks/otlp/sink.js';
import { allTestEnrichers } from '../enrich/test-dbs.js';
import { ExportLogsServiceRequest } from '../receivers/otlp-proto.js';

/**
 * The OTLP sink's fast record writer against the reference writer (the mapping's visitor, row
 * by row): generated records of every version, decoded and run through every enricher (so list
 * attributes, doubles and 64-bit values are there), plus edge rows (all nulls, non-ASCII text,
 * the largest integers a count's domain takes), several accounts (resource groups) and request limits from one record to
 * a megabyte. Both writers' requests must be the same bytes, and decode with protobufjs from the
 * OTLP protocol definitions to the same messages.
 */

function input(id: string, text: string): SourceInput {
  const bytes = Buffer.from(text, 'utf8');
  return {
    ref: { id },
    size: bytes.length,
    async *open() {
      for (let i = 0; i < bytes.length; i += 8192) yield bytes.subarray(i, i + 8192);
    },
  };
}

/** Edge rows in the version's own layout, made from a generated line. */
function edgeLines(header: string, sample: string): string[] {
  const names = header.split(' ');
  const at = (name: string): number => names.indexOf(name);
  const nulls = names.map((n) => (n === 'version' ? sample.split(' ')[0]! : '-')).join(' ');
  const odd = sample.split(' ');
  if (at('interface-id') >= 0) odd[at('interface-id')] = 'eni-ünïcødé-€-😀';
  // the largest counts a field's domain takes (2^53 - 1), and one past 32 bits
  if (at('bytes') >= 0) odd[at('bytes')] = '9007199254740991';
  if (at('packets') >= 0) odd[at('packets')] = '4294967297';
  if (at('account-id') >= 0) odd[at('account-id')] = '999999999999';
  const other = sample.split(' ');
  if (at('account-id') >= 0) other[at('account-id')] = '888888888888';
  return [nulls, odd.join(' '), other.join(' ')];
}

async function generatedBatches(version: (typeof GENERATE_VERSIONS)[number]): Promise<FlowBatch[]> {
  const { lines } = sampleLines({ records: 400, version, seed: 7 });
  const [header, ...records] = lines;
  const text = [header!, ...edgeLines(header!, records[0]!), ...records].join('\n') + '\n';
  const enrichers = await allTestEnrichers();
  const out: FlowBatch[] = [];
  const options = { stats: new RunStats(), batchSize: 150, keepLineText: true };
  for await (const batch of decodeInput(input(`v${version}.log`, text), options)) {
    for (const e of enrichers) e.enrich(batch);
    out.push(batch);
  }
  return out;
}

/**
 * Every record as the sink sends it: rows grouped by resource key in runs, requests cut at
 * `limit` bytes, through the fast writer (`records`) or the reference writer (`record`).
 */
function encode(mapping: OtelMapping, batches: readonly FlowBatch[], limit: number, fast: boolean): Buffer[] {
  const enc = new ProtoRequestEncoder(mapping, SCOPE, 128);
  const out: Buffer[] = [];
  enc.begin(1_700_000_000.25, Buffer.allocUnsafe(256));
  for (const batch of batches) {
    let r = 0;
    while (r < batch.length) {
      const key = mapping.resourceKey(batch, r);
      let end = r + 1;
      while (end < batch.length && mapping.resourceKey(batch, end) === key) end++;
      const rows = Int32Array.from({ length: end - r }, (_, k) => r + k);
      const first = r;
      enc.openResource(key, () =>
        resourceAttributes(mapping, batch, first, new Map([['service.name', 'x']])),
      );
      let k = 0;
      while (k < rows.length) {
        if (fast) k = enc.records(batch, rows, k, limit);
        else enc.record(batch, rows[k++]!);
        if (enc.size >= limit) {
          out.push(Buffer.from(enc.finish().body));
          enc.begin(1_700_000_000.25, Buffer.allocUnsafe(256));
          if (k < rows.length)
            enc.openResource(key, () => resourceAttributes(mapping, batch, first, new Map()));
        }
      }
      enc.closeResource();
      r = end;
    }
  }
  out.push(Buffer.from(enc.finish().body));
  return out.filter((b) => b.length > 0);
}

interface Decoded {
  resourceLogs: {
    resource: { attributes: { key: string }[] };
    scopeLogs: {
      logRecords: {
        body?: { stringValue?: string };
        attributes: { key: string; value: Record<string, unknown> }[];
      }[];
    }[];
  }[];
}

const decode = (body: Buffer): Decoded =>
  ExportLogsServiceRequest.toObject(ExportLogsServiceRequest.decode(body), {
    longs: String,
    defaults: false,
  }) as Decoded;

const attribute = (
  r: Decoded['resourceLogs'][number]['scopeLogs'][number]['logRecords'][number],
  key: string,
) => r.attributes.find((a) => a.key === key)?.value;

describe('otlp protobuf: the fast writer against the reference writer on generated records', () => {
  for (const version of GENERATE_VERSIONS) {
    it(`version ${version}, enriched, edge rows, several resources`, async () => {
      const batches = await generatedBatches(version);
      const rows = batches.reduce((n, b) => n + b.length, 0);
      assert.equal(rows, 403);
      assert.ok(
        batches.some((b) => b.column('tcp_flag_names')?.kind === 'list') || !batches[0]!.has('tcp_flags'),
        'list attributes are part of the input when the version has tcp-flags',
      );
      for (const options of [{}, { body: 'none' as const }, { body: 'summary' as const }]) {
        const mapping = otelMapping(options);
        for (const limit of [1, 4096, 1 << 20]) {
          const reference = encode(mapping, batches, limit, false);
          const fast = encode(mapping, batches, limit, true);
          assert.deepEqual(fast, reference, `${JSON.stringify(options)} limit ${limit}`);
          const decoded = fast.map(decode);
          assert.deepEqual(decoded, reference.map(decode));
          const records = decoded.flatMap((d) => d.resourceLogs.flatMap((g) => g.scopeLogs[0]!.logRecords));
          assert.equal(records.length, rows);
          if (limit === 1) assert.equal(fast.length, rows);
          if (limit !== 1 << 20 || options.body !== undefined) continue;
          // the edge rows: first of the file, unicode and large values as written
          const header = batches[0]!;
          if (header.has('interface_id')) {
            assert.equal(attribute(records[1]!, 'network.interface.name')?.stringValue, 'eni-ünïcødé-€-😀');
            assert.equal(records[1]!.body?.stringValue, header.line(1));
          }
          if (header.has('packets'))
            assert.equal(attribute(records[1]!, 'aws.vpc.flow.packets')?.intValue, '4294967297');
          if (header.has('bytes'))
            assert.equal(attribute(records[1]!, 'aws.vpc.flow.bytes')?.intValue, '9007199254740991');
          assert.equal(attribute(records[0]!, 'source.address'), undefined);
          const groups = decoded.flatMap((d) => d.resourceLogs);
          if (header.has('account_id')) assert.ok(groups.length >= 3, `${groups.length} resource groups`);
          if (header.has('tcp_flags')) {
            const flagged = records.filter((r) => attribute(r, 'network.tcp.flags.names') !== undefined);
            assert.ok(flagged.length > 0);
          }
        }
      }
    });
  }
});

describe('otlp protobuf: the default enrichers compile to column operations', () => {
  it('no attribute of an enriched batch is written row by row; ids made by enrichers carry their bytes', async () => {
    const kinds = new Set<string>();
    for (const version of GENERATE_VERSIONS) {
      for (const batch of await generatedBatches(version)) {
        const plan = otelMapping().plan(batch);
        assert.ok(plan, `version ${version}: the batch compiles`);
        for (const op of plan.attributes) kinds.add(op.kind);
        const rowOps = plan.attributes.filter((op) => op.kind === 'row');
        assert.equal(rowOps.length, 0, `version ${version}: ${rowOps.length} attributes written row by row`);
        // the community id and the record uid are copied from these bytes, not encoded per row
        for (const name of ['community_id', 'record_uid']) {
          const column = batch.column(name);
          assert.ok(
            column?.kind === 'str' && column.fixedText,
            `version ${version}: ${name} has fixed-width text`,
          );
        }
      }
    }
    // every kind of column op the default attributes take is exercised by the byte-for-byte test above
    assert.deepEqual([...kinds].sort(), ['dbl', 'int', 'numText', 'pick', 'str', 'strList']);
  });
});
