import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { resolveOptions } from '../../src/config/options.js';
import { writeSample } from '../../src/generate/index.js';
import { INGEST_OPTIONS } from '../../src/pipeline/build.js';
import { runOnce } from '../../src/pipeline/once.js';
import { fileInput } from '../../src/sources/files.js';
import { athenaDdl } from '../../src/store/athena.js';
import { openLakeReader } from '../../src/store/open.js';
import { runReport } from '../../src/store/report-run.js';
import { findReport } from '../../src/store/reports.js';
import { startS3 } from '../aws/helpers.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('flowlens-lake-');
after(() => tmp.cleanup());

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

async function ingestToLake(files: string[], flags: Record<string, string>) {
  const options = resolveOptions(INGEST_OPTIONS(), { flags: { to: ['lake'], ...flags }, env: {} });
  return runOnce(files.map(fileInput), options, { env: {}, log: () => undefined });
}

describe('the Parquet lake', () => {
  it('writes hive partitions by end hour with AWS column types, and reads back', async () => {
    const sample = join(tmp.dir, 'lake-sample.log.gz');
    const later = join(tmp.dir, 'lake-later.log.gz');
    const t1 = await writeSample(sample, { records: 2500, version: '3', seed: 5 });
    // Three hours later: other partitions.
    const t2 = await writeSample(later, {
      records: 1500,
      version: '3',
      seed: 6,
      startTime: 1780272000 + 3 * 3600,
    });
    const truth = {
      records: t1.records + t2.records,
      accept: { bytes: t1.accept.bytes + t2.accept.bytes },
      reject: { packets: t1.reject.packets + t2.reject.packets },
    };
    const lake = join(tmp.dir, 'lake');
    const r = await ingestToLake([sample, later], { 'lake-dir': lake, 'lake-file-records': '1000' });
    assert.equal(r.ok, true, JSON.stringify([r.stats.errors, r.sinks]));
    const files = walk(lake).map((f) => relative(lake, f));
    const hours = new Set(files.map((f) => f.split('/').slice(0, 4).join('/')));
    assert.ok(hours.size >= 2, files.join(' '));
    for (const f of files)
      assert.match(f, /^year=\d{4}\/month=\d\d\/day=\d\d\/hour=\d\d\/flows-[\w-]+\.parquet$/);
    const reader = await openLakeReader(lake);
    try {
      const totals = (
        await reader.con.runAndReadAll(
          `SELECT count(*), sum(bytes) FILTER (WHERE action = 'ACCEPT'), sum(packets) FILTER (WHERE action = 'REJECT'),
             count(*) FILTER (WHERE hour <> hour(end_time) OR day <> day(end_time)) FROM flows`,
        )
      ).getRowsJS()[0]!;
      assert.deepEqual(totals.map(Number), [truth.records, truth.accept.bytes, truth.reject.packets, 0]);
      const types = (
        await reader.con.runAndReadAll(
          `SELECT name, type FROM parquet_schema('${lake}/**/*.parquet') WHERE name IN ('version','srcport','bytes','srcaddr','vpc_id') GROUP BY ALL ORDER BY 1`,
        )
      ).getRowsJS();
      assert.deepEqual(types, [
        ['bytes', 'INT64'],
        ['srcaddr', 'BYTE_ARRAY'],
        ['srcport', 'INT32'],
        ['version', 'INT32'],
        ['vpc_id', 'BYTE_ARRAY'],
      ]);
      // A report over the lake (no store table behind `flows`) counts and ranks the lake's records.
      const talkers = await runReport(reader.con, findReport('top-talkers')!, { limit: 3 });
      assert.equal(talkers.records, truth.records);
      const sources = talkers.sections.find((s) => s.title === 'Top sources by bytes');
      assert.equal(sources?.rows?.length, 3, JSON.stringify(sources));
    } finally {
      reader.close();
    }
  });

  it('uploads to s3:// (s3rver on loopback)', async () => {
    const s3 = await startS3();
    await s3.bucket('lake-bucket');
    try {
      const sample = join(tmp.dir, 's3-sample.log.gz');
      await writeSample(sample, { records: 1500, version: '2', seed: 6 });
      const r = await ingestToLake([sample], {
        'lake-dir': 's3://lake-bucket/flows/v1',
        'endpoint-url': s3.endpoint,
        region: 'us-east-1',
      });
      assert.equal(r.ok, true, JSON.stringify([r.stats.errors, r.sinks]));
      const list = await s3.client.send(
        new ListObjectsV2Command({ Bucket: 'lake-bucket', Prefix: 'flows/v1/' }),
      );
      const keys = (list.Contents ?? []).map((o) => o.Key!);
      assert.equal(keys.length, r.sinks[0]!.details?.uploaded);
      assert.ok(keys.length >= 1);
      for (const k of keys)
        assert.match(k, /^flows\/v1\/year=2026\/month=06\/day=01\/hour=\d\d\/flows-[\w-]+\.parquet$/);
    } finally {
      await s3.close();
    }
  });
});

describe('athena-ddl', () => {
  it('lake layout: parquet, year/month/day/hour projection', () => {
    const ddl = athenaDdl({ layout: 'lake', location: 's3://my-lake/flows/', table: 'flows' });
    assert.match(ddl, /^CREATE EXTERNAL TABLE IF NOT EXISTS `flows` \(/);
    assert.match(ddl, /`srcport` int,\n {2}`dstport` int,\n {2}`protocol` bigint,\n {2}`packets` bigint/);
    assert.match(
      ddl,
      /PARTITIONED BY \(`year` int, `month` int, `day` int, `hour` int\)\nSTORED AS PARQUET\nLOCATION 's3:\/\/my-lake\/flows\/'/,
    );
    assert.match(
      ddl,
      /'storage.location.template' = 's3:\/\/my-lake\/flows\/year=\$\{year\}\/month=\$\{month\}\/day=\$\{day\}\/hour=\$\{hour\}'/,
    );
    assert.match(ddl, /'projection.month.digits' = '2'/);
  });

  it('AWS text, default and hourly keys', () => {
    const base = {
      layout: 'aws-text' as const,
      location: 's3://logs',
      table: 'vpc',
      account: '123456789012',
      region: 'eu-west-1',
    };
    const daily = athenaDdl(base);
    assert.match(daily, /ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '\nSTORED AS TEXTFILE/);
    assert.match(daily, /LOCATION 's3:\/\/logs\/AWSLogs\/123456789012\/vpcflowlogs\/eu-west-1\/'/);
    assert.match(daily, /'projection.date_path.format' = 'yyyy\/MM\/dd'/);
    assert.match(daily, /'skip.header.line.count' = '1'/);
    assert.match(daily, /`log_status` string\n\)/);
    const hourly = athenaDdl({ ...base, hourly: true });
    assert.match(hourly, /'projection.date_path.format' = 'yyyy\/MM\/dd\/HH'/);
    assert.match(hourly, /'projection.date_path.interval.unit' = 'HOURS'/);
  });

  it('AWS Parquet, Hive-compatible keys, daily and hourly', () => {
    const base = {
      layout: 'aws-parquet' as const,
      location: 's3://logs/pre',
      table: 'vpc',
      account: '123456789012',
      region: 'us-east-1',
      hive: true,
    };
    const daily = athenaDdl(base);
    assert.match(daily, /STORED AS PARQUET/);
    assert.match(
      daily,
      /LOCATION 's3:\/\/logs\/pre\/AWSLogs\/aws-account-id=123456789012\/aws-service=vpcflowlogs\/aws-region=us-east-1\/'/,
    );
    assert.match(daily, /PARTITIONED BY \(`year` string, `month` string, `day` string\)/);
    assert.doesNotMatch(daily, /skip.header/);
    assert.match(daily, /`ecs_task_id` string/);
    const hourly = athenaDdl({ ...base, hourly: true });
    assert.match(hourly, /`day` string, `hour` string\)/);
    assert.match(hourly, /day=\$\{day\}\/hour=\$\{hour\}'/);
    assert.throws(
      () =>
        athenaDdl({
          layout: base.layout,
          location: base.location,
          table: base.table,
          region: base.region,
          hive: base.hive,
        }),
      /--account/,
    );
  });
});
