import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Alert } from '../../src/alerts/types.js';
import type { ResolvedOptions } from '../../src/config/options.js';
import { RunStats } from '../../src/core/stats.js';
import { create } from '../../src/sinks/alerts/sink.js';
import { makeBatch } from '../enrich/make-batch.js';
import { TestHttpServer } from '../receivers/http-server.js';
import { OtlpHttpReceiver } from '../receivers/otlp-http.js';
import { SnsQueryReceiver } from '../receivers/sns-query.js';

const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags';
const T0 = 1780272000;

/** Three alerts: SSH and PostgreSQL exposed, a mining pool. */
const LINES = [
  `2 123456789012 eni-1 185.220.101.33 10.0.0.9 50000 22 6 10 900 ${T0} ${T0 + 50} ACCEPT OK 3`,
  `2 123456789012 eni-2 92.63.197.48 10.0.0.10 50001 5432 6 10 900 ${T0} ${T0 + 50} ACCEPT OK 3`,
  `2 123456789012 eni-3 10.0.0.11 141.94.96.71 50002 3333 6 10 900 ${T0} ${T0 + 50} ACCEPT OK 3`,
];
const EXPECTED = ['10.0.0.10|5432', '10.0.0.11', '10.0.0.9|22'];

/** Fast retries for tests. */
const RETRY = { 'retry-initial-delay': 1, 'retry-max-delay': 5, 'retry-attempts': 4, 'retry-max-time': 30 };

async function runSink(options: ResolvedOptions, env: NodeJS.ProcessEnv = {}) {
  const sink = await create({ ...RETRY, ...options }, { env, stats: new RunStats(), log: () => undefined });
  await sink.write(makeBatch(HEADER, LINES));
  return sink.close();
}

const REQUIRED = [
  'rule',
  'title',
  'severity',
  'mitre',
  'key',
  'first_seen',
  'last_seen',
  'count',
  'bytes',
  'sample_uids',
];

describe('alert delivery', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flowlens-alert-delivery-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('POSTs each alert as JSON to a webhook, retrying a 503', async () => {
    const server = await new TestHttpServer((req) =>
      req.index === 0 ? { kind: 'status', status: 503, headers: { 'retry-after': '0' } } : { kind: 'ok' },
    ).start();
    try {
      const result = await runSink({ 'alerts-webhook': `${server.url}/hook` });
      assert.deepEqual(result.errors, []);
      assert.equal(result.failed, 0);
      assert.equal(result.details?.webhook_delivered, 3);
      assert.equal(result.details?.alerts, 3);
      const accepted = server.requests
        .filter((r) => r.index > 0)
        .map((r) => JSON.parse(r.body.toString()) as Alert);
      assert.equal(server.requests.length, 4);
      assert.deepEqual(accepted.map((a) => a.key).sort(), EXPECTED);
      for (const a of accepted) for (const k of REQUIRED) assert.ok(k in a, `missing ${k}`);
      assert.equal(server.requests[1]!.headers['content-type'], 'application/json');
    } finally {
      await server.stop();
    }
  });

  it('counts alerts a webhook refuses for good as failed, with the reason', async () => {
    const server = await new TestHttpServer(() => ({
      kind: 'status',
      status: 400,
      body: 'bad hook',
    })).start();
    try {
      const result = await runSink({ 'alerts-webhook': server.url });
      assert.ok(result.failed >= 1);
      assert.match(result.errors.join('\n'), /HTTP 400: bad hook/);
    } finally {
      await server.stop();
    }
  });

  it('sends Slack incoming-webhook messages', async () => {
    const server = await new TestHttpServer(
      () => ({ kind: 'ok' }),
      () => ({ contentType: 'text/plain', body: 'ok' }),
    ).start();
    try {
      const result = await runSink({ 'alerts-slack': `${server.url}/services/T0/B0/x` });
      assert.equal(result.details?.slack_delivered, 3);
      const bodies = server.requests.map(
        (r) => JSON.parse(r.body.toString()) as { text: string; blocks: Array<{ type: string }> },
      );
      assert.equal(bodies.length, 3);
      for (const b of bodies) {
        assert.match(b.text, /^:\w+: \[(high|medium|low|critical)\] /);
        assert.deepEqual(
          b.blocks.map((x) => x.type),
          ['header', 'section', 'context'],
        );
      }
      assert.ok(bodies.some((b) => b.text.includes('Crypto-mining pool traffic: 10.0.0.11')));
    } finally {
      await server.stop();
    }
  });

  it('publishes to SNS with the AWS SDK (Query protocol), retrying throttling', async () => {
    const sns = await new SnsQueryReceiver((_req, index) => (index === 0 ? 'throttle' : 'ok')).start();
    const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const topic = 'arn:aws:sns:eu-west-1:123456789012:flowlens-alerts';
      const result = await runSink({ 'alerts-sns-topic': topic, 'alerts-sns-endpoint': sns.url }, env);
      assert.deepEqual(result.errors, []);
      assert.equal(result.details?.sns_delivered, 3);
      assert.equal(sns.published.length, 3);
      for (const p of sns.published) {
        assert.equal(p.topicArn, topic);
        const alert = JSON.parse(p.message) as Alert;
        assert.ok(p.subject?.startsWith(`[${alert.severity}] ${alert.title}`));
        assert.equal(p.attributes.severity, alert.severity);
        assert.equal(p.attributes.rule, alert.rule);
      }
    } finally {
      process.env = saved;
      await sns.stop();
    }
  });

  it('fails SNS alerts for good on a missing topic, counted', async () => {
    const sns = await new SnsQueryReceiver(() => 'not-found').start();
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    try {
      const result = await runSink({
        'alerts-sns-topic': 'arn:aws:sns:eu-west-1:123456789012:missing',
        'alerts-sns-endpoint': sns.url,
      });
      assert.ok(result.failed >= 1);
      assert.match(result.errors.join('\n'), /SNS Publish .*missing/);
    } finally {
      process.env = saved;
      await sns.stop();
    }
  });

  it('rejects a malformed SNS topic ARN at start', async () => {
    await assert.rejects(
      runSink({ 'alerts-sns-topic': 'flowlens-alerts' }),
      /--alerts-sns-topic: expected arn:aws:sns/,
    );
  });

  it('refuses --alerts-db naming the store of --to store', async () => {
    await assert.rejects(
      runSink({
        'alerts-db': join(dir, 'same.duckdb'),
        db: join(dir, 'same.duckdb'),
        to: ['store', 'alerts'],
      }),
      /--alerts-db .*same\.duckdb is the store of --to store/,
    );
  });

  it('sends OTLP log records with the severity of the rule', async () => {
    const receiver = await new OtlpHttpReceiver().start();
    try {
      const result = await runSink({ 'alerts-otlp': true, 'otlp-endpoint': receiver.url });
      assert.equal(result.details?.otlp_delivered, 3);
      assert.equal(receiver.accepted.length, 3);
      for (const r of receiver.accepted) {
        assert.equal(r.severityNumber, 17);
        assert.equal(r.severityText, 'ERROR');
        assert.equal(r.scope.name, 'flowlens.alerts');
      }
      assert.equal(receiver.requests[0]!.path, '/v1/logs');
    } finally {
      await receiver.stop();
    }
  });

  it('writes the alerts table of a store with the dashboard columns', async () => {
    const db = join(dir, 'alerts.duckdb');
    const result = await runSink({ 'alerts-db': db });
    assert.deepEqual(result.errors, []);
    const instance = await DuckDBInstance.create(db);
    const con = await instance.connect();
    try {
      const cols = (await con.runAndReadAll('DESCRIBE alerts')).getRowsJS().map((r) => `${r[0]} ${r[1]}`);
      assert.deepEqual(cols, [
        'id VARCHAR',
        'rule VARCHAR',
        'title VARCHAR',
        'severity VARCHAR',
        'mitre VARCHAR',
        'key VARCHAR',
        'first_seen TIMESTAMP WITH TIME ZONE',
        'last_seen TIMESTAMP WITH TIME ZONE',
        'count BIGINT',
        'bytes BIGINT',
        'packets BIGINT',
        'sample_uids VARCHAR[]',
        'details JSON',
      ]);
      const rows = (
        await con.runAndReadAll(
          "SELECT key, count, len(sample_uids), details->>'$.measure', epoch(first_seen) FROM alerts ORDER BY key",
        )
      ).getRowsJS();
      assert.deepEqual(
        rows.map((r) => [r[0], Number(r[1]), Number(r[2]), r[3], Number(r[4])]),
        EXPECTED.map((k) => [k, 1, 1, 'count', T0]),
      );
    } finally {
      con.closeSync();
      instance.closeSync();
    }
  });
});
