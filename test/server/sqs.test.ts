import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serveOptionSpecs } from '../../src/cli/serve.js';
import { resolveWithConfig } from '../../src/pipeline/options.js';
import { startServer } from '../../src/server/server.js';
import { eventBridgeEvent, flowObject, type LocalS3, s3Event, snsEnvelope, startS3 } from '../aws/helpers.js';
import { OtlpHttpReceiver } from '../receivers/otlp-http.js';
import { SqsTestServer } from '../receivers/sqs-server.js';
import { memoryLogger } from './helpers.js';

const BUCKET = 'flow-logs';
const PER_OBJECT = 150;
const KEYS = ['AWSLogs/a.log.gz', 'AWSLogs/b.log.gz', 'AWSLogs/c c.log.gz', 'AWSLogs/d.log.gz'];

async function serve(queue: SqsTestServer, s3: LocalS3, flags: Record<string, string | string[]>) {
  const options = resolveWithConfig(
    serveOptionSpecs(),
    {
      flags: {
        port: '0',
        host: '127.0.0.1',
        'sqs-queue-url': queue.queueUrl,
        'sqs-wait-seconds': '1',
        'sqs-retry-delay': '0',
        'endpoint-url': s3.endpoint,
        region: 'us-east-1',
        's3-retries': '0',
        ...flags,
      },
      positionals: [],
    },
    {},
  );
  return startServer(options, { env: process.env, log: memoryLogger() });
}

/** `serve --sqs-queue-url` against an SQS-protocol server and s3rver, with the real AWS SDK. */
describe('serve --sqs-queue-url', () => {
  let s3: LocalS3;
  let dir: string;
  before(async () => {
    process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';
    s3 = await startS3();
    await s3.bucket(BUCKET);
    for (const [i, key] of KEYS.entries()) await s3.put(BUCKET, key, flowObject(PER_OBJECT, i + 1));
    dir = mkdtempSync(join(tmpdir(), 'flowlens-sqs-'));
  });
  after(async () => {
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers S3, SNS-wrapped and EventBridge notifications once each; leaves bad messages for redrive', async () => {
    const queue = await new SqsTestServer(3).start();
    const db = join(dir, 'sqs.duckdb');
    queue.send(JSON.stringify(s3Event(BUCKET, [KEYS[0]!, KEYS[1]!])));
    queue.send(snsEnvelope(s3Event(BUCKET, [KEYS[2]!])));
    queue.send(JSON.stringify(eventBridgeEvent(BUCKET, KEYS[3]!)));
    queue.send(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: BUCKET }));
    const missing = queue.send(JSON.stringify(s3Event(BUCKET, ['AWSLogs/missing.log.gz'])));
    const garbage = queue.send('not json at all');
    const server = await serve(queue, s3, { to: ['store'], db, 'sqs-max-messages': '4' });
    try {
      await queue.until(() => queue.deleted.length === 4 && queue.deadLetters.length === 2);
      assert.deepEqual(queue.deadLetters.map((m) => m.id).sort(), [missing, garbage].sort());
      const reader = await server.pipeline.storeReader();
      assert.ok(reader);
      try {
        const rows = await reader.query(
          'SELECT source, count(*) AS n FROM flows GROUP BY source ORDER BY source',
        );
        assert.deepEqual(
          rows.map((r) => [r.source, Number(r.n)]),
          KEYS.map((k) => [`s3://${BUCKET}/${k}`, PER_OBJECT]),
        );
      } finally {
        await reader.release();
      }
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(
        metrics,
        new RegExp(`flowlens_records_delivered_total\\{sink="store"\\} ${KEYS.length * PER_OBJECT}\\n`),
      );
      assert.ok(queue.calls.includes('ChangeMessageVisibility'));
    } finally {
      await server.close();
      await queue.stop();
    }
  });

  it('keeps a message whose sink failed and delivers it once the sink recovers', async () => {
    const queue = await new SqsTestServer(5).start();
    // The first export is refused for good: that message is not deleted, and comes back.
    const receiver = await new OtlpHttpReceiver((req) =>
      req.index === 0 ? { kind: 'error', status: 400, message: 'refused' } : { kind: 'ok' },
    ).start();
    const first = queue.send(JSON.stringify(s3Event(BUCKET, [KEYS[0]!])));
    const second = queue.send(snsEnvelope(s3Event(BUCKET, [KEYS[1]!])));
    const server = await serve(queue, s3, {
      to: ['otlp'],
      'otlp-endpoint': receiver.url,
      'otlp-compression': 'none',
      'sqs-max-messages': '1',
    });
    try {
      await queue.until(() => queue.deleted.length === 2);
      assert.deepEqual(queue.deleted.map((m) => m.id).sort(), [first, second].sort());
      assert.ok(
        queue.deleted.some((m) => m.receiveCount === 2),
        'the failed message came back once',
      );
      assert.equal(receiver.accepted.length, 2 * PER_OBJECT);
      assert.equal(new Set(receiver.accepted.map((r) => JSON.stringify(r.body))).size, 2 * PER_OBJECT);
    } finally {
      await server.close();
      await queue.stop();
      await receiver.stop();
    }
  });
});
