/**
 * The compiled JSON writers (`schema.compile(batch)`, what the ndjson, http and elasticsearch
 * sinks write) against the reference (`JSON.stringify(schema.document(batch, i))`), byte for
 * byte, for every schema and schema option: generated data after the default enrichers and
 * after all of them, every realdata file the peer comparisons read, the schema fixtures, and
 * rows with nulls, IPv6, unicode and text that needs escaping.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Column, FlowBatch, StrColumnBuilder } from '../../src/batch/flow-batch.js';
import { RunStats } from '../../src/core/stats.js';
import type { SourceInput } from '../../src/core/types.js';
import { decodeInput } from '../../src/decode/detect.js';
import { buildEnrichers } from '../../src/enrich/index.js';
import { resolveField } from '../../src/fields/catalog.js';
import { parseFormat } from '../../src/fields/format.js';
import { GENERATE_VERSIONS, sampleLines } from '../../src/generate/index.js';
import { documentSchema } from '../../src/schema/index.js';
import { JsonBytes } from '../../src/schema/json/bytes.js';
import { SCHEMA_NAMES, type SchemaName, type SchemaOptions } from '../../src/schema/types.js';
import { fileInput } from '../../src/sources/files.js';
import { makeBatch } from '../enrich/make-batch.js';
import { allTestEnrichers } from '../enrich/test-dbs.js';
import { allFieldsBatch } from './all-fields.js';
import { enrichedFixture, FIXTURES, fixtureBatch } from './fixtures.js';

const REALDATA = fileURLToPath(new URL('../../../shared/realdata/', import.meta.url));

const VARIANTS: readonly (readonly [SchemaName, SchemaOptions])[] = [
  ['raw', {}],
  ['ecs', {}],
  ['ocsf', {}],
  ['otel', {}],
  ['otel', { timeField: 'start' }],
  ['otel', { body: 'summary' }],
  ['otel', { body: 'none' }],
];

/** Compares every row of the batch in every schema; returns the rows compared. */
function assertSame(batch: FlowBatch, where: string): number {
  const out = new JsonBytes(64);
  for (const [name, options] of VARIANTS) {
    const schema = documentSchema(name, options);
    const row = schema.compile(batch);
    for (let i = 0; i < batch.length; i++) {
      out.reset();
      row(out, i);
      const got = out.buf.toString('utf8', 0, out.pos);
      const want = JSON.stringify(schema.document(batch, i));
      if (got !== want) {
        assert.equal(got, want, `${where}, ${name} ${JSON.stringify(options)}, row ${i}`);
      }
      // the bytes themselves, not only their decoding: lone surrogates must come out escaped
      assert.ok(out.buf.subarray(0, out.pos).equals(Buffer.from(want, 'utf8')), `${where} row ${i} bytes`);
    }
  }
  return batch.length;
}

function textInput(text: string, id = 'lines'): SourceInput {
  const bytes = Buffer.from(text);
  return {
    ref: { id },
    size: bytes.length,
    async *open() {
      yield bytes;
    },
  };
}

async function decoded(
  input: SourceInput,
  enrich: 'default' | 'all' | 'none',
  format?: string,
): Promise<FlowBatch[]> {
  const enrichers =
    enrich === 'all'
      ? await allTestEnrichers()
      : await buildEnrichers(enrich === 'none' ? { enrich: ['none'] } : {});
  const batches: FlowBatch[] = [];
  const options = format ? { format: parseFormat(format) } : {};
  for await (const b of decodeInput(input, { stats: new RunStats(), threads: 0, ...options })) {
    const batch = b as FlowBatch;
    for (const e of enrichers) e.enrich(batch);
    batches.push(batch);
  }
  return batches;
}

describe('compiled JSON writers write exactly the reference documents', () => {
  it('generated records of every version, after the default enrichers and after all of them', async () => {
    let rows = 0;
    for (const version of GENERATE_VERSIONS) {
      const { lines } = sampleLines({ records: 300, version, seed: 11 });
      for (const enrich of ['default', 'all'] as const) {
        for (const b of await decoded(textInput(`${lines.join('\n')}\n`, `gen-v${version}`), enrich)) {
          rows += assertSame(b, `generated v${version} (${enrich})`);
        }
      }
    }
    assert.ok(rows >= GENERATE_VERSIONS.length * 2 * 300, `${rows} rows`);
  });

  it('the schema fixtures of every version, plain and with every enricher, and the all-fields records', async () => {
    for (const f of FIXTURES) {
      assertSame(fixtureBatch(f), f);
      assertSame(await enrichedFixture(f), `${f} enriched`);
    }
    assertSame(await allFieldsBatch(), 'all fields');
  });

  it('every realdata file the peer comparisons read', {
    skip: existsSync(REALDATA) ? false : 'no ../shared/realdata',
  }, async () => {
    const files: readonly (readonly [string, string?])[] = [
      ['otel-collector-contrib/valid_vpc_flow_log.log'],
      ['otel-collector-contrib/valid_vpc_flow_log_multi.log'],
      ['otel-collector-contrib/valid_vpc_flow_log_ecs.log'],
      ['otel-collector-contrib/valid_tgw_flow_log.log'],
      ['otel-collector-contrib/valid_vpc_flow_cw.json'],
      ['otel-collector-contrib/valid_vpc_flow_cw_custom.json', 'version interface-id srcaddr dstaddr'],
      [
        'otel-collector-contrib/valid_tgw_flow_cw.json',
        'version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id ' +
          'tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id srcaddr dstaddr srcport dstport protocol ' +
          'packets bytes start end log-status',
      ],
      ['flowlogs-reader/V2_RECORDS.log'],
      ['flowlogs-reader/V3_FILE.log'],
      ['flowlogs-reader/V4_FILE.log'],
      ['flowlogs-reader/V5_FILE.log'],
      ['flowlogs-reader/V6_FILE.log'],
      ['flowlogs-reader/flows.parquet'],
      ['elastic-integrations/test-extra-samples.log'],
      ['elastic-integrations/test-with-message-field.log'],
      ['elastic-integrations/test-tgw-samples.log'],
      [
        'elastic-integrations/test-tcp-flag-sequence.log',
        'version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr ' +
          'pkt-dstaddr protocol bytes packets start end action tcp-flags log-status',
      ],
    ];
    let rows = 0;
    for (const [file, format] of files) {
      for (const enrich of ['none', 'default', 'all'] as const) {
        for (const b of await decoded(fileInput(REALDATA + file), enrich, format))
          rows += assertSame(b, `${file} (${enrich})`);
      }
    }
    // the VRL cases: record lines of many layouts, given in a JSON file
    const vrl = (
      await import(`${REALDATA}vrl/parse_aws_vpc_flow_log.test-cases.json`, { with: { type: 'json' } })
    ).default as { default_format: string; groups: { format: string | null; lines: string[] }[] };
    for (const g of vrl.groups) {
      for (const b of await decoded(textInput(`${g.lines.join('\n')}\n`), 'all', g.format ?? undefined)) {
        rows += assertSame(b, `vrl ${g.format ?? 'default'}`);
      }
    }
    assert.ok(rows > 100, `${rows} rows`);
  });

  it('nulls, IPv6, packet addresses, odd numbers, unicode and text that needs escaping', async () => {
    const header =
      'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status type pkt-srcaddr pkt-dstaddr flow-direction traffic-path vpc-id sublocation-id sublocation-type';
    const lines = [
      '5 123456789010 eni-aa 10.0.1.5 52.216.8.11 40126 443 6 25 8800 1620000000 1620000060 ACCEPT OK IPv4 10.0.1.5 52.216.8.11 egress 7 vpc-ü - outpost',
      '5 123456789010 eni-aa 10.0.1.5 10.0.2.9 53 40127 17 1 120 1620000000 1620000060 REJECT OK IPv4 8.8.8.8 10.0.1.5 ingress - vpc-"q"\\ op-1 -',
      '5 123456789010 eni-aa 10.0.1.5 10.0.2.9 53 40127 17 1 120 1620000000 - ACCEPT OK IPv4 - 10.0.3.3 egress 2 - op-2 wavelength',
      '5 123456789010 eni-bb 2001:db8::1 2001:db8::2 443 50000 58 3 5000000000 - 1620000061 ACCEPT OK IPv6 - - ingress - - - -',
      '5 123456789010 eni-bb 2001:db8::1 10.0.0.1 -5 80 300 1.5 9007199254740993 1620000000.25 1620000060 - OK EFA - - - 1 😀 - -',
      '5 - - - - - - - - - 1620000000 1620000060 - NODATA - - - - - - - -',
      '5 210987654321 eni-cc 10.0.0.1 10.0.0.2 22 22 6 2 80 -62135596801 253402300800 ACCEPT SKIPDATA - 10.0.0.1 - egress - - - -',
      '5 210987654321 eni-cc fe80::1 - 22 22 4 2 1e21 0 0.0005 ACCEPT OK - - - - - \u0001\u007f\u2028 - -',
      '5 210987654321 eni-cc 10.0.0.9 10.0.0.9 22 22 256 2 -0 1 2 QUEUED OK - 10.0.0.9 10.0.0.9 sideways 9 x - -',
    ];
    for (const source of [
      { id: 'edge.log' },
      { id: 'cw', context: { logGroup: 'g"1', logStream: 's\\1', bucket: 'b', key: 'k/ü.gz' } },
    ]) {
      assertSame(makeBatch(header, lines, source), `edge rows ${source.id}`);
      // a batch of its own: a schema keeps the columns it looked up per batch
      const batch = makeBatch(header, lines, source);
      const enrichers = await allTestEnrichers();
      for (const e of enrichers) e.enrich(batch);
      assertSame(batch, `edge rows ${source.id}, enriched`);
    }
    // a lone surrogate, a field flowlens does not know, a text field holding numbers, a list field,
    // a field named like an array index and an enrichment column named like a record field
    const fields = ['version', 'srcaddr', 'dstaddr', 'action', 'flavour', '7', 'start'].map(resolveField);
    const text = new StrColumnBuilder(3);
    for (const [i, v] of ['\ud800x', 'ok', null].entries()) text.set(i, v);
    const columns: Column[] = [
      { kind: 'num', values: Float64Array.from([2, Number.NaN, Number.POSITIVE_INFINITY]) },
      text.build(3),
      { kind: 'num', values: Float64Array.from([1, 2, Number.NaN]) },
      { kind: 'list', values: [['ACCEPT'], null, ['a', 'b']] },
      text.build(3),
      text.build(3),
      { kind: 'num', values: Float64Array.from([1620000000, 1620000000.999, -1]) },
    ];
    const odd = new FlowBatch(fields, columns, 3, { id: 'odd' }, Float64Array.from([1, 2, 3]));
    odd.extra.set('action', { kind: 'num', values: Float64Array.from([1, 2, 3]) });
    odd.extra.set('tcp_flag_names', { kind: 'list', values: [['SYN', 'ACK'], null, []] });
    assertSame(odd, 'odd columns');
  });

  it('every schema has a compiled writer', () => {
    for (const name of SCHEMA_NAMES) assert.equal(typeof documentSchema(name).compile, 'function');
  });
});
