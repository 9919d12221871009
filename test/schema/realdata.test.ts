/**
 * Every file of other VPC flow log parsers' test data (../shared/realdata: the OpenTelemetry
 * Collector, Elastic's aws.vpcflow integration, VRL, flowlogs-reader; SOURCES.md in each folder
 * names repository, path and commit) goes through flowlens and the schema that parser
 * produces, and is compared with that parser's expected output field by field. Where flowlens
 * differs on purpose, the difference is listed here (INTENDED) and in README's "Output schemas".
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { RunStats } from '../../src/core/stats.js';
import { decodeInput } from '../../src/decode/detect.js';
import { buildEnrichers } from '../../src/enrich/index.js';
import { parseFormat } from '../../src/fields/format.js';
import { documentSchema } from '../../src/schema/index.js';
import type { SchemaName } from '../../src/schema/types.js';
import { fileInput } from '../../src/sources/files.js';

const REALDATA = fileURLToPath(new URL('../../../shared/realdata/', import.meta.url));
const here = existsSync(REALDATA);

type Obj = Record<string, unknown>;
interface Decoded {
  readonly docs: Obj[];
  readonly stats: RunStats;
  readonly error?: Error;
}

/** Decodes a realdata file and maps each record to `schema`, after the enrichers named. */
async function run(
  path: string,
  schema: SchemaName,
  options: { format?: string; enrich?: string[] } = {},
): Promise<Decoded> {
  const stats = new RunStats();
  const enrichers = await buildEnrichers({ enrich: options.enrich ?? ['none'], 'community-id-seed': 0 });
  const s = documentSchema(schema, { body: 'none' });
  const docs: Obj[] = [];
  let error: Error | undefined;
  try {
    const format = options.format ? { format: parseFormat(options.format) } : {};
    for await (const batch of decodeInput(fileInput(REALDATA + path), { stats, threads: 0, ...format })) {
      for (const e of enrichers) e.enrich(batch as FlowBatch);
      for (let i = 0; i < batch.length; i++) docs.push(s.document(batch, i));
    }
  } catch (err) {
    error = err as Error;
  }
  return { docs, stats, ...(error ? { error } : {}) };
}

/** Decodes record lines given as text (one in-memory input), mapped to the raw schema. */
async function runText(text: string, format?: string): Promise<Decoded> {
  const stats = new RunStats();
  const bytes = Buffer.from(text);
  const input = {
    ref: { id: 'lines' },
    size: bytes.length,
    async *open() {
      yield bytes;
    },
  };
  const s = documentSchema('raw');
  const docs: Obj[] = [];
  const options = format ? { format: parseFormat(format) } : {};
  for await (const batch of decodeInput(input, { stats, threads: 0, ...options })) {
    for (let i = 0; i < batch.length; i++) docs.push(s.document(batch, i));
  }
  return { docs, stats };
}

/** Dotted paths of a nested document's leaves (arrays are leaves; empty objects have none). */
function flatten(o: unknown, prefix = '', out: Obj = {}): Obj {
  if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
    for (const [k, v] of Object.entries(o as Obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = o;
  return out;
}

/** A difference flowlens has on purpose: the paths it covers, and why. */
interface Intended {
  readonly paths: RegExp;
  readonly why: string;
  /** Only for documents where this holds (flattened: the peer's, then flowlens's). */
  readonly when?: (expected: Obj, actual: Obj) => boolean;
}

/**
 * Compares one document with a peer's, field by field: every expected field must be equal
 * unless an intended difference covers it; every field flowlens adds must be covered too.
 * Returns the intended differences that applied (each must apply somewhere, or it is stale).
 */
function compare(
  actual: Obj,
  expected: Obj,
  intended: readonly Intended[],
  where: string,
  used: Set<Intended>,
  problems: string[],
): void {
  const a = flatten(actual);
  const e = flatten(expected);
  const covered = (path: string): boolean => {
    const hit = intended.find((d) => d.paths.test(path) && (d.when?.(e, a) ?? true));
    if (hit) used.add(hit);
    return hit !== undefined;
  };
  for (const [path, want] of Object.entries(e)) {
    if (covered(path)) continue;
    if (!isDeepStrictEqual(a[path], want))
      problems.push(`${where}: ${path} is ${JSON.stringify(a[path])}, expected ${JSON.stringify(want)}`);
  }
  for (const path of Object.keys(a)) {
    if (path in e || covered(path)) continue;
    problems.push(`${where}: ${path} = ${JSON.stringify(a[path])}, which the peer does not write`);
  }
}

/** A value of OTLP's YAML form (intValue as a decimal string) as flowlens's JSON form holds it. */
function otlpValue(v: Obj): unknown {
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v) return ((v.arrayValue as { values?: Obj[] }).values ?? []).map(otlpValue);
  return v;
}

/** The Collector's expected logs as flat records: resource and record attributes, and the time. */
function collectorRecords(file: string): Obj[] {
  const doc = parseYaml(readFileSync(REALDATA + file, 'utf8')) as { resourceLogs: Obj[] };
  const out: Obj[] = [];
  const attrs = (list: unknown): Obj =>
    Object.fromEntries(((list as Obj[] | undefined) ?? []).map((a) => [a.key, otlpValue(a.value as Obj)]));
  for (const rl of doc.resourceLogs) {
    const resource = attrs((rl.resource as Obj).attributes);
    for (const sl of rl.scopeLogs as Obj[]) {
      for (const lr of sl.logRecords as Obj[]) {
        const time = lr.timeUnixNano
          ? { time: new Date(Number(BigInt(lr.timeUnixNano as string) / 1000000n)).toISOString() }
          : {};
        out.push({ ...time, ...resource, ...attrs(lr.attributes) });
      }
    }
  }
  return out;
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(REALDATA + path, 'utf8'));

/** Each file of a peer's folder must be named by one of its cases (as input or expectation). */
function assertEveryFileUsed(folder: string, used: readonly string[]): void {
  const files = readdirSync(REALDATA + folder).filter((f) => f !== 'SOURCES.md');
  for (const f of files) assert.ok(used.includes(f), `${folder}/${f} is compared by no case`);
}

const V5 =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status ' +
  'vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id ' +
  'pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path';
const ECS_TASK =
  'ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id ' +
  'ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id';

/**
 * Elastic's pipeline picks the field order by the number of tokens (14, 21, 29; the 39- and
 * 40-token orders read off its expected documents); flowlens is given the same order, except
 * for AWS's default formats (14 and the 36 of Transit Gateway), which it recognises itself.
 */
const ELASTIC_FORMATS: Readonly<Record<string, string | undefined>> = {
  'test-extra-samples.log': undefined,
  'test-with-message-field.log': undefined,
  'test-tgw-samples.log': undefined,
  'test-tcp-flag-sequence.log':
    'version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr ' +
    'pkt-dstaddr protocol bytes packets start end action tcp-flags log-status',
  'test-v5-all-fields.log': V5,
  'test-ecs-samples.log': `${V5} ${ECS_TASK}`,
  'test-v8-samples.log': `${V5} ${ECS_TASK} reject-reason`,
};

/** Where flowlens's ECS documents differ from Elastic's on purpose (also in README, "ecs"). */
const ELASTIC_INTENDED: readonly Intended[] = [
  {
    paths: /^(ecs\.version|tags|event\.original)$/,
    why: 'flowlens does not write them (the line is the OTel body)',
  },
  {
    paths: /^(source|destination)\.(geo|as)\./,
    why: "geo and AS data come from flowlens's databases, not from MaxMind's test databases (enrichment is not run here)",
  },
  {
    paths: /^event\.(category|type)$/,
    why: 'arrays, as the integration writes them since ECS 8.11; its older expectations (8.0.0) hold strings',
  },
  {
    paths: /^cloud\.(region|availability_zone)$/,
    why: 'a `-` is left out; the integration keeps `-` in these two core fields',
  },
  {
    paths: /^aws\.vpcflow\.ecs_cluster_arn$|^orchestrator\.cluster\.id$/,
    why: 'ecs-cluster-arn is orchestrator.cluster.id, as in the integration’s newer expectation (test-v8-samples)',
  },
  {
    paths: /^event\.action$/,
    why: 'the integration’s older expectations (8.0.0) have no event.action',
  },
  {
    paths: /^aws\.vpcflow\.(srcaddr|dstaddr|pkt_srcaddr|pkt_dstaddr)$/,
    why: 'the packet addresses are the endpoints; the interface-side address is kept when it differs',
  },
  {
    paths: /^(source|destination)\.(address|ip)$|^network\.community_id$/,
    why: 'the endpoints are pkt-srcaddr/pkt-dstaddr where the record has them (the integration takes srcaddr/dstaddr)',
    when: (e) =>
      (e['aws.vpcflow.pkt_dstaddr'] ?? e['destination.ip']) !== e['destination.ip'] ||
      (e['aws.vpcflow.pkt_srcaddr'] ?? e['source.ip']) !== e['source.ip'],
  },
  {
    paths: /^network\.community_id$/,
    why: 'no Community ID for endpoints of two address families (no such packet exists)',
    when: (e) => String(e['source.ip']).includes(':') !== String(e['destination.ip']).includes(':'),
  },
  {
    paths: /^related\.ip$/,
    why: 'each address once, the interface-side ones too; the integration lists source and destination, twice when equal',
  },
];

/** Where flowlens's OTel records differ from the Collector's on purpose (also in README, "otel"). */
const COLLECTOR_INTENDED: readonly Intended[] = [
  { paths: /^severity_(number|text)$/, why: 'flowlens sets a severity: INFO, WARN for REJECT' },
  {
    paths: /^(network\.transport|network\.type|aws\.vpc\.flow\.end|aws\.vpc\.flow\.resource_type)$/,
    why: 'flowlens adds them: the transport keyword, the address family, the end time, the Transit Gateway resource type',
  },
  {
    paths: /^aws\.log\.(group|stream)\.names$/,
    why: 'string arrays, as the semantic conventions define them; the Collector writes one string',
  },
  { paths: /^network\.tcp\.flags$/, why: 'the bitmask as an integer; the Collector writes its decimal text' },
];

/**
 * The Collector's cases: input, expected file, and the --format it is given. Its Transit Gateway
 * CloudWatch sample is in a layout of its own (23 fields), not AWS's default: it is given here.
 */
const COLLECTOR_CASES: readonly { input: string; expected: string; format?: string }[] = [
  { input: 'valid_vpc_flow_log.log', expected: 'valid_vpc_flow_log_single_expected.yaml' },
  { input: 'valid_vpc_flow_log_multi.log', expected: 'valid_vpc_flow_log_expected_multi.yaml' },
  { input: 'valid_vpc_flow_log_ecs.log', expected: 'valid_vpc_flow_log_ecs_expected.yaml' },
  { input: 'valid_tgw_flow_log.log', expected: 'valid_tgw_flow_log_expected.yaml' },
  { input: 'valid_vpc_flow_cw.json', expected: 'valid_vpc_flow_cw_expected.yaml' },
  {
    input: 'valid_vpc_flow_cw_custom.json',
    expected: 'valid_vpc_flow_cw_custom_expected.yaml',
    format: 'version interface-id srcaddr dstaddr',
  },
  {
    input: 'valid_tgw_flow_cw.json',
    expected: 'valid_tgw_flow_cw_expected.yaml',
    format:
      'version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id ' +
      'tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id srcaddr dstaddr srcport dstport protocol ' +
      'packets bytes start end log-status',
  },
];

describe('other parsers’ test data (../shared/realdata)', {
  skip: here ? false : 'no ../shared/realdata',
}, () => {
  it('the OpenTelemetry Collector: every unmarshaler test, OTel records field by field', async () => {
    const used = new Set<Intended>();
    const problems: string[] = [];
    const files: string[] = [];
    for (const c of COLLECTOR_CASES) {
      files.push(c.input, c.expected);
      const out = await run(
        `otel-collector-contrib/${c.input}`,
        'otel',
        c.format ? { format: c.format } : {},
      );
      const expected = collectorRecords(`otel-collector-contrib/${c.expected}`);
      assert.equal(out.error, undefined, c.input);
      assert.deepEqual(out.stats.malformedSamples, [], c.input);
      assert.equal(out.docs.length, expected.length, c.input);
      for (const [i, e] of expected.entries()) {
        compare(out.docs[i]!, e, COLLECTOR_INTENDED, `${c.input} #${i + 1}`, used, problems);
      }
    }
    // the inputs the Collector rejects: flowlens counts the line as malformed and keeps nothing of it
    for (const input of ['vpc_flow_log_too_few_fields.log', 'vpc_flow_log_too_many_fields.log']) {
      files.push(input);
      const out = await run(`otel-collector-contrib/${input}`, 'otel');
      assert.equal(out.docs.length, 0, input);
      assert.equal(out.stats.malformed, 1, input);
      assert.match(
        out.stats.malformedSamples[0]!.message,
        /^expected \d+ fields \(header on line 1\), got \d+ fields$/,
      );
    }
    // valid_flow_log_parquet_expected.yaml: its Parquet input is not in the folder (see SOURCES.md)
    files.push('valid_flow_log_parquet_expected.yaml');
    if (process.env.SHOW) console.log(problems.join('\n'));
    assert.deepEqual(problems, []);
    assertEveryFileUsed('otel-collector-contrib', files);
    for (const d of COLLECTOR_INTENDED) assert.ok(used.has(d), `stale intended difference: ${d.why}`);
  });

  it('VRL parse_aws_vpc_flow_log: its examples and test lines, raw records field by field', async () => {
    const problems: string[] = [];
    const used = new Set<Intended>();
    const docs = readJson('vrl/parse_aws_vpc_flow_log.json') as {
      examples: { source: string; return: Obj }[];
    };
    for (const ex of docs.examples) {
      const m = /parse_aws_vpc_flow_log!\(\s*"([^"]*)"\s*(?:,\s*(?:format:\s*)?"([^"]*)")?/.exec(ex.source);
      assert.ok(m, ex.source);
      const out = await runText(`${m[1]}\n`, m[2]);
      assert.equal(out.docs.length, 1, ex.source);
      compare(out.docs[0]!, ex.return, [], `example ${m[1]}`, used, problems);
    }
    const cases = readJson('vrl/parse_aws_vpc_flow_log.test-cases.json') as {
      integer_fields: string[];
      default_format: string;
      groups: { format: string | null; lines: string[] }[];
      cases: { line: string; format: string | null; want: Obj }[];
    };
    const integers = new Set(cases.integer_fields);
    let lines = 0;
    for (const g of cases.groups) {
      const names = (g.format ?? cases.default_format).split(' ');
      const out = await runText(`${g.lines.join('\n')}\n`, g.format ?? undefined);
      assert.equal(out.docs.length, g.lines.length, g.format ?? 'default');
      g.lines.forEach((line, i) => {
        // what VRL returns: one key per field, `-` as null, integers for its integer fields
        const values = line.split(' ');
        const want = Object.fromEntries(
          names.map((n, k) => [
            n,
            values[k] === '-' ? null : integers.has(n) ? Number(values[k]) : values[k],
          ]),
        );
        compare(out.docs[i]!, want, [], `line ${line}`, used, problems);
        lines++;
      });
    }
    assert.ok(lines >= 30, `${lines} lines`);
    for (const c of cases.cases) {
      const out = await runText(`${c.line}\n`, c.format ?? undefined);
      assert.equal(out.docs.length, 1, c.line);
      compare(out.docs[0]!, c.want, [], `case ${c.line}`, used, problems);
    }
    if (process.env.SHOW) console.log(problems.join('\n'));
    assert.deepEqual(problems, []);
    assertEveryFileUsed('vrl', ['parse_aws_vpc_flow_log.json', 'parse_aws_vpc_flow_log.test-cases.json']);
  });

  it('flowlogs-reader: its records, Parquet file and millisecond times, raw records field by field', async () => {
    const problems: string[] = [];
    const used = new Set<Intended>();
    const expected = (readJson('flowlogs-reader/expected.json') as { expected: Record<string, unknown> })
      .expected;
    /** The peer's record with its datetimes as Unix seconds; the fields it leaves out (`-`) are null. */
    const want = (peer: Obj, doc: Obj): Obj => {
      const out: Obj = Object.fromEntries(Object.keys(doc).map((k) => [k, null]));
      for (const [k, v] of Object.entries(peer)) {
        out[k] = v !== null && typeof v === 'object' && '$unix' in v ? (v as { $unix: number }).$unix : v;
      }
      return out;
    };
    const check = (out: Decoded, peer: Obj[], where: string, rows?: number[]): void => {
      const docs = rows ? rows.map((r) => out.docs[r]!) : out.docs;
      assert.equal(docs.length, peer.length, where);
      for (const [i, p] of peer.entries()) {
        compare(docs[i]!, want(p, docs[i]!), [], `${where} #${i + 1}`, used, problems);
      }
    };
    const v2 = await run('flowlogs-reader/V2_RECORDS.log', 'raw');
    check(v2, [expected['FlowRecordTestCase.test_parse'] as Obj], 'V2_RECORDS.log test_parse', [0]);
    check(v2, [expected['FlowRecordTestCase.test_to_dict'] as Obj], 'V2_RECORDS.log test_to_dict', [2]);
    const serial: [string, string][] = [
      ['V3_FILE.log', 'test_serial'],
      ['V4_FILE.log', 'test_serial_v4'],
      ['V5_FILE.log', 'test_serial_v5'],
      ['V6_FILE.log', 'test_serial_v6'],
      ['flows.parquet', 'test_serial_parquet'],
    ];
    for (const [file, name] of serial) {
      const out = await run(`flowlogs-reader/${file}`, 'raw');
      assert.equal(out.error, undefined, file);
      let peer = expected[`S3FlowLogsReaderTestCase.${name}`] as Obj[];
      if (file === 'flows.parquet') {
        // its third row has protocol 8080, outside 0–255: flowlens counts that row as malformed
        assert.equal(peer[2]!.protocol, 8080);
        peer = peer.slice(0, 2);
        assert.match(out.stats.malformedSamples[0]!.message, /^row: field protocol: "8080" is out of range/);
        assert.equal(out.stats.malformedSamples[0]!.line, 3);
      }
      check(out, peer, `${file} ${name}`);
      // V5_FILE.log ends with "bogus line", which the peer skips: flowlens counts it as malformed
      assert.equal(out.stats.malformed, file === 'V5_FILE.log' || file === 'flows.parquet' ? 1 : 0, file);
    }
    const ms = expected['FlowRecordTestCase.test_millisecond_timestamp'] as {
      record: string;
      start: Obj;
      end: Obj;
    };
    const out = await runText(`${ms.record}\n`);
    assert.equal(out.docs[0]!.start, ms.start.$unix);
    assert.equal(out.docs[0]!.end, ms.end.$unix);
    if (process.env.SHOW) console.log(problems.join('\n'));
    assert.deepEqual(problems, []);
    assertEveryFileUsed('flowlogs-reader', [...serial.map(([f]) => f), 'V2_RECORDS.log', 'expected.json']);
  });

  it("Elastic's aws.vpcflow integration: every pipeline test, ECS documents field by field", async () => {
    const used = new Set<Intended>();
    const problems: string[] = [];
    const files: string[] = [];
    for (const [log, format] of Object.entries(ELASTIC_FORMATS)) {
      const expectedFile = `${log}-expected.json`;
      files.push(log, expectedFile);
      const out = await run(`elastic-integrations/${log}`, 'ecs', {
        ...(format ? { format } : {}),
        enrich: ['protocol', 'tcp-flags', 'community-id'],
      });
      const expected = (readJson(`elastic-integrations/${expectedFile}`) as { expected: Obj[] }).expected;
      assert.equal(out.error, undefined, log);
      assert.deepEqual(out.stats.malformedSamples, [], log);
      assert.equal(out.docs.length, expected.length, log);
      for (const [i, e] of expected.entries()) {
        compare(out.docs[i]!, e, ELASTIC_INTENDED, `${log} #${i + 1}`, used, problems);
      }
    }
    if (process.env.SHOW) console.log(problems.join('\n'));
    assert.deepEqual(problems, []);
    assertEveryFileUsed('elastic-integrations', files);
    for (const d of ELASTIC_INTENDED) assert.ok(used.has(d), `stale intended difference: ${d.why}`);
  });
});
