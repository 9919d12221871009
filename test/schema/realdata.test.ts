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
import { decodeInput } from '../../src/decode/detect.js';
import { buildEnrichers } from '../../src/enrich/index.js';
import { parseFormat } from '../../src/fields/format.js';
import { RunStats } from '../../src/pipeline/stats.js';
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

describe('other parsers’ test data (../shared/realdata)', {
  skip: here ? false : 'no ../shared/realdata',
}, () => {
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
      expected.forEach((e, i) =>
        compare(out.docs[i]!, e, ELASTIC_INTENDED, `${log} #${i + 1}`, used, problems),
      );
    }
    if (process.env.SHOW) console.log(problems.join('\n'));
    assert.deepEqual(problems, []);
    assertEveryFileUsed('elastic-integrations', files);
    for (const d of ELASTIC_INTENDED) assert.ok(used.has(d), `stale intended difference: ${d.why}`);
  });
});
