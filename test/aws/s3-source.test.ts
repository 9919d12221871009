import assert from 'node:assert/strict';
import './capture-sink.js';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ConfigError } from '../../src/config/options.js';
import { RunStats } from '../../src/core/stats.js';
import type { SourceInput } from '../../src/core/types.js';
import { INGEST_OPTIONS } from '../../src/pipeline/build.js';
import { runOnce } from '../../src/pipeline/once.js';
import { resolveWithConfig } from '../../src/pipeline/options.js';
import { listKeys, parseS3Uri, s3Inputs } from '../../src/sources/s3.js';
import { createS3Client } from '../../src/sources/s3-client.js';
import { S3ObjectInput } from '../../src/sources/s3-object.js';
import { dayPrefixes, keyInRange, parseTimeBound, timeRange } from '../../src/sources/s3-partitions.js';
import { captured, resetCaptured } from './capture-sink.js';
import { flowObject, type LocalS3, startCuttingProxy, startS3 } from './helpers.js';

const BUCKET = 'lake';
const PLAIN = 'logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/';
const HOURLY = 'hourly/AWSLogs/123456789012/vpcflowlogs/eu-west-1/';
const HIVE = 'hive/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/';
const HIVE_HOURLY = 'hh/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/';

const file = (day: string, hhmm: string) =>
  `123456789012_vpcflowlogs_us-east-1_fl-0123abcd_${day.replaceAll('-', '')}T${hhmm}Z_abcdef12.log.gz`;

const KEYS = [
  `${PLAIN}2024/04/30/${file('2024-04-30', '2355')}`,
  `${PLAIN}2024/05/01/${file('2024-05-01', '0000')}`,
  `${PLAIN}2024/05/01/${file('2024-05-01', '1200')}`,
  `${PLAIN}2024/05/02/${file('2024-05-02', '0005')}`,
  `${HOURLY}2024/05/01/11/${file('2024-05-01', '1155')}`,
  `${HOURLY}2024/05/01/12/${file('2024-05-01', '1200')}`,
  `${HIVE}year=2024/month=04/day=30/${file('2024-04-30', '0100')}`,
  `${HIVE}year=2024/month=05/day=01/${file('2024-05-01', '0100')}`,
  `${HIVE_HOURLY}year=2024/month=05/day=01/hour=00/${file('2024-05-01', '0010')}`,
  `${HIVE_HOURLY}year=2024/month=05/day=01/hour=13/${file('2024-05-01', '1310')}`,
];

let s3: LocalS3;

function options(extra: Record<string, string | boolean | string[]> = {}) {
  return resolveWithConfig(
    INGEST_OPTIONS(),
    { flags: { 'endpoint-url': s3.endpoint, to: ['capture'], ...extra }, positionals: [] },
    {},
  );
}

async function keysOf(uri: string, extra: Record<string, string> = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const input of s3Inputs(uri, options(extra), { stats: new RunStats(), log: () => undefined })) {
    out.push(input.ref.id.slice(`s3://${BUCKET}/`.length));
    // Drain the prefetched body, as the run loop would.
    for await (const _ of input.open()) void _;
  }
  return out.sort();
}

before(async () => {
  s3 = await startS3();
  await s3.bucket(BUCKET);
  for (const [i, key] of KEYS.entries()) await s3.put(BUCKET, key, flowObject(3, i));
});
after(async () => {
  await s3.close();
});
beforeEach(() => resetCaptured());

describe('s3:// inputs', () => {
  it('lists a prefix page by page', async () => {
    const client = createS3Client({ endpoint: s3.endpoint });
    const keys: string[] = [];
    for await (const k of listKeys(client, parseS3Uri(`s3://${BUCKET}/${PLAIN}`), {}, 2)) keys.push(k.key);
    client.destroy();
    assert.deepEqual(keys, KEYS.slice(0, 4));
  });

  it('ingests every object of a prefix through the pipeline', async () => {
    const opts = options();
    const report = await runOnce([`s3://${BUCKET}/${PLAIN}`], opts, { env: {}, log: () => undefined });
    assert.equal(report.ok, true);
    assert.equal(report.stats.files, 4);
    assert.equal(report.stats.records, 12);
    assert.equal(captured.length, 12);
    assert.ok(report.stats.bytesIn > 0);
  });

  it('prunes by day partitions with --since/--until, listing day prefixes under the region', async () => {
    const uri = `s3://${BUCKET}/${PLAIN}`;
    assert.deepEqual(await keysOf(uri, { since: '2024-05-01', until: '2024-05-02' }), KEYS.slice(1, 3));
    assert.deepEqual(await keysOf(uri, { since: '2024-05-01T12:00' }), KEYS.slice(1, 4));
    assert.deepEqual(await keysOf(`s3://${BUCKET}/logs/`, { until: '2024-05-01' }), KEYS.slice(0, 1));
  });

  it('prunes by hour partitions, plain and Hive', async () => {
    assert.deepEqual(
      await keysOf(`s3://${BUCKET}/${HOURLY}`, { since: '2024-05-01T12:00Z', until: '2024-05-01T13:00Z' }),
      [KEYS[5]!],
    );
    assert.deepEqual(await keysOf(`s3://${BUCKET}/${HIVE}`, { since: '2024-05-01' }), [KEYS[7]!]);
    assert.deepEqual(
      await keysOf(`s3://${BUCKET}/${HIVE_HOURLY}`, { since: '2024-05-01T01:00', until: '2024-05-02' }),
      [KEYS[9]!],
    );
    assert.deepEqual(await keysOf(`s3://${BUCKET}/hh/`, { until: '2024-05-01T01:00' }), [KEYS[8]!]);
  });

  it('resumes a read cut midway with a ranged GET (the decoder sees one stream)', async () => {
    const key = 'big/cut.log.gz';
    const body = flowObject(3000, 9);
    await s3.put(BUCKET, key, body);
    const proxy = await startCuttingProxy(s3.endpoint, key, Math.floor(body.length / 2));
    const client = createS3Client({ endpoint: proxy.url });
    try {
      const input = new S3ObjectInput(client, { bucket: BUCKET, keys: [key] }, { backoffMs: 1 });
      const chunks: Buffer[] = [];
      for await (const c of input.open()) chunks.push(Buffer.from(c));
      assert.deepEqual(Buffer.concat(chunks), body);
      assert.equal(proxy.cuts, 1);
      assert.deepEqual(proxy.ranges, [`bytes=${Math.floor(body.length / 2)}-`]);
      const tail: Buffer[] = [];
      for await (const c of input.open(body.length - 10)) tail.push(Buffer.from(c));
      assert.deepEqual(Buffer.concat(tail), body.subarray(body.length - 10));
    } finally {
      client.destroy();
      await proxy.close();
    }
  });

  it('reports a missing object and a missing bucket with the names', async () => {
    const client = createS3Client({ endpoint: s3.endpoint });
    const input: SourceInput = new S3ObjectInput(client, {
      bucket: BUCKET,
      keys: ['no/such.gz', 'no+such.gz'],
    });
    await assert.rejects(async () => {
      for await (const _ of input.open()) void _;
    }, /s3:\/\/lake: no object at key "no\/such.gz" or "no\+such.gz"/);
    client.destroy();
    await assert.rejects(
      keysOf('s3://no-such-bucket/x/'),
      /listing s3:\/\/no-such-bucket\/x\/: NoSuchBucket/,
    );
  });
});

describe('time ranges and partitions', () => {
  it('parses ISO dates and date-times as UTC and names a bad value', () => {
    assert.equal(parseTimeBound('2024-05-01', '--since'), Date.UTC(2024, 4, 1));
    assert.equal(parseTimeBound('2024-05-01T13:30', '--since'), Date.UTC(2024, 4, 1, 13, 30));
    assert.equal(parseTimeBound('2024-05-01T13:30+02:00', '--since'), Date.UTC(2024, 4, 1, 11, 30));
    assert.throws(
      () => parseTimeBound('yesterday', '--since'),
      (e: Error) => e instanceof ConfigError && /--since/.test(e.message),
    );
    assert.throws(() => timeRange('2024-05-02', '2024-05-01'), /--until/);
  });

  it('lists one prefix per day under a region prefix', () => {
    const range = { from: Date.UTC(2024, 4, 30, 5), to: Date.UTC(2024, 5, 1, 1) };
    assert.deepEqual(dayPrefixes('x/vpcflowlogs/us-east-1/', range), [
      'x/vpcflowlogs/us-east-1/2024/05/30/',
      'x/vpcflowlogs/us-east-1/2024/05/31/',
      'x/vpcflowlogs/us-east-1/2024/06/01/',
    ]);
    assert.deepEqual(
      dayPrefixes('a/aws-region=eu-west-1', { from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 2) }),
      ['a/aws-region=eu-west-1/year=2024/month=01/day=01/'],
    );
    assert.equal(dayPrefixes('x/vpcflowlogs/us-east-1/2024/', range), undefined);
    assert.equal(dayPrefixes('x/vpcflowlogs/us-east-1/', { to: 1 }), undefined);
  });

  it('keeps keys without a date', () => {
    assert.equal(keyInRange('random/file.gz', { from: Date.UTC(2030, 0, 1) }), true);
    assert.equal(keyInRange(KEYS[0]!, { from: Date.UTC(2030, 0, 1) }), false);
  });
});
