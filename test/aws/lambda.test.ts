import assert from 'node:assert/strict';
import './capture-sink.js';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createHandler } from '../../src/lambda/handler.js';
import type { Continuation } from '../../src/sources/s3-events.js';
import { captured, resetCaptured } from './capture-sink.js';
import {
  cwlControlPayload,
  cwlPayload,
  eventBridgeEvent,
  flowLines,
  flowObject,
  HEADER,
  type LocalS3,
  s3Event,
  snsEnvelope,
  sqsEvent,
  startCuttingProxy,
  startS3,
} from './helpers.js';

const BUCKET = 'flow-logs';
const DAY = 'AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/';
let s3: LocalS3;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    FLOWLENS_SINKS: 'capture',
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    FLOWLENS_CONTINUATION: 'off',
    ...extra,
  };
}

function handlerWith(extra: Record<string, string> = {}, sent?: Continuation[]) {
  const logs: string[] = [];
  const handler = createHandler(env(extra), {
    log: (l) => logs.push(l),
    ...(sent
      ? {
          sendContinuation: async (c: Continuation) => {
            sent.push(c);
            return 'captured by the test';
          },
        }
      : {}),
  });
  const summaries = () =>
    logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => 'duration_ms' in l);
  return { handler, logs, summaries };
}

const ports = (source: string) =>
  captured
    .filter((c) => c.source === source)
    .map((c) => c.srcport)
    .sort((a, b) => a! - b!);

const range = (n: number) => Array.from({ length: n }, (_, i) => 10000 + i);

before(async () => {
  s3 = await startS3();
  await s3.bucket(BUCKET);
});
after(async () => {
  await s3.close();
});
beforeEach(() => resetCaptured());

describe('S3 notifications', () => {
  const odd = ['plain.log.gz', 'with space.log.gz', 'plus+sign.log.gz', 'per%cent.log.gz', 'k=v/a=b.log.gz'];
  before(async () => {
    for (const [i, key] of odd.entries()) await s3.put(BUCKET, `${DAY}${key}`, flowObject(5 + i, i));
  });

  it('reads every object of a direct notification, keys with spaces, +, % and = included', async () => {
    const { handler, summaries } = handlerWith();
    const result = await handler(
      s3Event(
        BUCKET,
        odd.map((k) => DAY + k),
      ),
      {},
    );
    assert.deepEqual(result, { ok: true, objects: 5, records: 35, continued: false });
    for (const [i, key] of odd.entries())
      assert.deepEqual(ports(`s3://${BUCKET}/${DAY}${key}`), range(5 + i), key);
    const [summary] = summaries();
    assert.equal(summary!.objects, 5);
    assert.equal(summary!.records, 35);
    assert.equal(summary!.delivered, 35);
    assert.equal(summary!.malformed, 0);
  });

  it('handles SQS, SNS → SQS, EventBridge (direct and via SQS) and skips the S3 test event', async () => {
    const { handler } = handlerWith();
    const key = DAY + odd[1]!;
    const testEvent = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: BUCKET });
    const result = await handler(
      sqsEvent([
        { id: 'm-s3', body: JSON.stringify(s3Event(BUCKET, [key])) },
        { id: 'm-sns', body: snsEnvelope(s3Event(BUCKET, [key])) },
        { id: 'm-eb', body: JSON.stringify(eventBridgeEvent(BUCKET, key)) },
        { id: 'm-test', body: testEvent },
        { id: 'm-sns-test', body: snsEnvelope({ Service: 'Amazon S3', Event: 's3:TestEvent' }) },
      ]),
      {},
    );
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.equal(captured.length, 18);
    const bySqs = new Set(captured.map((c) => c.source));
    assert.deepEqual([...bySqs], [`s3://${BUCKET}/${key}`]);

    resetCaptured();
    const viaSns = await handler(
      {
        Records: [
          {
            EventSource: 'aws:sns',
            Sns: { Type: 'Notification', Message: JSON.stringify(s3Event(BUCKET, [key])) },
          },
        ],
      },
      {},
    );
    assert.equal((viaSns as { records: number }).records, 6);

    resetCaptured();
    const direct = await handler(eventBridgeEvent(BUCKET, DAY + odd[3]!), {});
    assert.equal((direct as { records: number }).records, 8);
    assert.deepEqual(ports(`s3://${BUCKET}/${DAY}${odd[3]}`), range(8));
  });

  it('falls back to the key as given when the decoded key does not exist', async () => {
    // A producer that did not form-encode: "a+b" must not become "a b".
    await s3.put(BUCKET, 'raw/a+b.log.gz', flowObject(3));
    const { handler } = handlerWith();
    const event = s3Event(BUCKET, []);
    (event.Records as unknown[]).push({
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: BUCKET }, object: { key: 'raw/a+b.log.gz' } },
    });
    await handler(event, {});
    assert.deepEqual(ports(`s3://${BUCKET}/raw/a+b.log.gz`), range(3));
  });

  it('fails only the SQS message whose object is missing or whose delivery fails', async () => {
    await s3.put(BUCKET, 'poison/bad.log.gz', flowObject(2));
    const { handler, summaries } = handlerWith();
    const result = await handler(
      sqsEvent([
        { id: 'ok-1', body: JSON.stringify(s3Event(BUCKET, [DAY + odd[0]!])) },
        { id: 'missing', body: JSON.stringify(s3Event(BUCKET, [`${DAY}nope.log.gz`])) },
        { id: 'poison', body: JSON.stringify(s3Event(BUCKET, ['poison/bad.log.gz'])) },
        { id: 'junk', body: '{not json' },
        { id: 'ok-2', body: JSON.stringify(s3Event(BUCKET, [DAY + odd[2]!])) },
      ]),
      {},
    );
    assert.deepEqual(result, {
      batchItemFailures: [
        { itemIdentifier: 'missing' },
        { itemIdentifier: 'poison' },
        { itemIdentifier: 'junk' },
      ],
    });
    assert.deepEqual(ports(`s3://${BUCKET}/${DAY}${odd[0]}`), range(5));
    assert.deepEqual(ports(`s3://${BUCKET}/${DAY}${odd[2]}`), range(7));
    const errors = (summaries()[0]!.errors as string[]).join('\n');
    assert.match(errors, /nope\.log\.gz/);
    assert.match(errors, /backend refused/);
  });

  it('throws for a direct notification whose object is missing (the async retry takes it)', async () => {
    const { handler } = handlerWith();
    await assert.rejects(handler(s3Event(BUCKET, ['absent.log.gz']), {}), /absent\.log\.gz/);
  });

  it('reads Parquet objects', async () => {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const n = 20;
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'version', data: Array.from({ length: n }, () => 2), type: 'INT32' },
        { name: 'account_id', data: Array.from({ length: n }, () => '123456789012'), type: 'STRING' },
        { name: 'srcport', data: range(n), type: 'INT32' },
        { name: 'dstport', data: Array.from({ length: n }, () => 443), type: 'INT32' },
        { name: 'action', data: Array.from({ length: n }, () => 'ACCEPT'), type: 'STRING' },
      ],
    });
    await s3.put(BUCKET, `${DAY}x.log.parquet`, new Uint8Array(buf));
    // Through a proxy that only watches: Parquet is read with ranged GETs, not copied whole.
    const proxy = await startCuttingProxy(s3.endpoint, 'x.log.parquet', Number.POSITIVE_INFINITY);
    try {
      const { handler } = handlerWith({ AWS_ENDPOINT_URL_S3: proxy.url });
      await handler(s3Event(BUCKET, [`${DAY}x.log.parquet`]), {});
      assert.deepEqual(ports(`s3://${BUCKET}/${DAY}x.log.parquet`), range(n));
      assert.ok(proxy.ranges.length > 0, 'ranged reads');
      assert.ok(proxy.ranges.every((r) => /^bytes=\d+-\d+$/.test(r)));
    } finally {
      await proxy.close();
    }
  });
});

describe('a read that fails midway', () => {
  it('resumes with a ranged GET and delivers every record exactly once', async () => {
    const n = 4000;
    const key = `${DAY}big.log.gz`;
    const body = flowObject(n, 7);
    await s3.put(BUCKET, key, body);
    const proxy = await startCuttingProxy(s3.endpoint, key, Math.floor(body.length / 3));
    try {
      const { handler } = handlerWith({ AWS_ENDPOINT_URL_S3: proxy.url, FLOWLENS_BATCH_SIZE: '500' });
      const result = await handler(s3Event(BUCKET, [key]), {});
      assert.equal((result as { records: number }).records, n);
      assert.equal(proxy.cuts, 1);
      assert.equal(proxy.ranges.length, 1);
      assert.match(proxy.ranges[0]!, /^bytes=\d+-$/);
      assert.ok(Number(/\d+/.exec(proxy.ranges[0]!)![0]) > 0);
      assert.deepEqual(ports(`s3://${BUCKET}/${key}`), range(n));
    } finally {
      await proxy.close();
    }
  });
});

describe('continuations', () => {
  it('stops at a record boundary when time runs low and the continuation finishes the object', async () => {
    const n = 1000;
    const key = `${DAY}long.log.gz`;
    await s3.put(BUCKET, key, flowObject(n, 3));
    await s3.put(BUCKET, `${DAY}next.log.gz`, flowObject(10, 4));
    const sent: Continuation[] = [];
    const { handler, summaries } = handlerWith(
      { FLOWLENS_BATCH_SIZE: '100', FLOWLENS_TIME_RESERVE_MS: '5000', FLOWLENS_CONTINUATION: 'sqs' },
      sent,
    );
    const short = { getRemainingTimeInMillis: () => 1000 };
    const first = await handler(
      sqsEvent([{ id: 'm1', body: JSON.stringify(s3Event(BUCKET, [key, `${DAY}next.log.gz`])) }]),
      short,
    );
    assert.deepEqual(first, { batchItemFailures: [] });
    assert.equal(sent.length, 1);
    assert.equal(captured.length, 100, 'one batch, then it stopped');
    const c = sent[0]!;
    assert.equal(c.current?.object.keys[0], key);
    assert.equal(c.current?.after, 101, 'header is line 1, so 100 records end at line 101');
    assert.deepEqual(
      c.pending.map((p) => p.keys[0]),
      [`${DAY}next.log.gz`],
    );
    assert.equal(summaries()[0]!.continuations, 1);

    // Hand each continuation back, as the queue (SQS body) and as a self-invocation alternately.
    for (let hop = 0; sent.length > hop && hop < 50; hop++) {
      const cont = sent[hop]!;
      const event = hop % 2 ? cont : sqsEvent([{ id: `c${hop}`, body: JSON.stringify(cont) }]);
      await handler(event, short);
    }
    assert.equal(sent.length, 10, 'ten batches of the long object, the last one also ends it');
    assert.deepEqual(ports(`s3://${BUCKET}/${key}`), range(n), 'every record exactly once');
    assert.deepEqual(ports(`s3://${BUCKET}/${DAY}next.log.gz`), range(10));
    const total = summaries().reduce((s, l) => s + (l.records as number), 0);
    assert.equal(total, n + 10, 'summaries count each record once');
  });

  it('counts each malformed line once across the invocations of a continued object', async () => {
    const lines = flowLines(600, 5).flatMap((l, i) => (i % 37 === 36 ? [l, `junk line ${i}`] : [l]));
    const junk = lines.filter((l) => l.startsWith('junk')).length;
    const key = `${DAY}junk.log.gz`;
    await s3.put(BUCKET, key, gzipSync(`${[HEADER, ...lines].join('\n')}\n`));
    const sent: Continuation[] = [];
    const { handler, summaries } = handlerWith(
      { FLOWLENS_BATCH_SIZE: '100', FLOWLENS_TIME_RESERVE_MS: '5000', FLOWLENS_CONTINUATION: 'sqs' },
      sent,
    );
    const short = { getRemainingTimeInMillis: () => 1000 };
    await handler(sqsEvent([{ id: 'j1', body: JSON.stringify(s3Event(BUCKET, [key])) }]), short);
    for (let hop = 0; sent.length > hop && hop < 50; hop++) await handler(sent[hop]!, short);
    assert.ok(sent.length >= 5, `continued ${sent.length} times`);
    assert.deepEqual(ports(`s3://${BUCKET}/${key}`), range(600), 'every record exactly once');
    const malformed = summaries().reduce((s, l) => s + (l.malformed as number), 0);
    assert.equal(malformed, junk, 'each junk line counted once');
  });

  it('sends the continuation to the SQS queue with the real SDK, and the queued message finishes the work', async () => {
    const bodies: string[] = [];
    const queue = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => {
        text += c;
      });
      req.on('end', () => {
        // SQS's JSON protocol: X-Amz-Target AmazonSQS.SendMessage; the SDK checks the body's MD5.
        assert.equal(req.headers['x-amz-target'], 'AmazonSQS.SendMessage');
        const { MessageBody, QueueUrl } = JSON.parse(text) as { MessageBody: string; QueueUrl: string };
        assert.match(QueueUrl, /\/123456789012\/flowlens$/);
        bodies.push(MessageBody);
        const md5 = createHash('md5').update(MessageBody).digest('hex');
        res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ MessageId: `id-${bodies.length}`, MD5OfMessageBody: md5 }));
      });
    });
    await new Promise<void>((r) => queue.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(queue.address() as AddressInfo).port}`;
    process.env.AWS_ENDPOINT_URL_SQS = url;
    try {
      const { handler, logs } = handlerWith({
        FLOWLENS_BATCH_SIZE: '400',
        FLOWLENS_TIME_RESERVE_MS: '5000',
        FLOWLENS_CONTINUATION: 'auto',
        FLOWLENS_CONTINUATION_QUEUE_URL: `${url}/123456789012/flowlens`,
      });
      const short = { getRemainingTimeInMillis: () => 1000 };
      await handler(s3Event(BUCKET, [`${DAY}long.log.gz`]), short);
      assert.equal(bodies.length, 1);
      assert.ok(logs.some((l) => l.includes('continuation sqs message id-1')));
      for (let i = 0; i < bodies.length && i < 10; i++) {
        await handler(sqsEvent([{ id: `q${i}`, body: bodies[i]! }]), short);
      }
      assert.equal(bodies.length, 2, '1000 records in batches of 400: two hand-overs');
      assert.deepEqual(ports(`s3://${BUCKET}/${DAY}long.log.gz`), range(1000));
    } finally {
      delete process.env.AWS_ENDPOINT_URL_SQS;
      queue.closeAllConnections();
      queue.close();
    }
  });

  it('finishes in one invocation when time is plentiful', async () => {
    const sent: Continuation[] = [];
    const { handler } = handlerWith({ FLOWLENS_BATCH_SIZE: '100', FLOWLENS_CONTINUATION: 'sqs' }, sent);
    await handler(s3Event(BUCKET, [`${DAY}long.log.gz`]), { getRemainingTimeInMillis: () => 600_000 });
    assert.equal(sent.length, 0);
    assert.equal(captured.length, 1000);
  });
});

describe('CloudWatch Logs and Firehose events', () => {
  it('takes Kinesis records with CloudWatch payloads and fails only the bad record', async () => {
    const { handler } = handlerWith();
    const rec = (seq: string, data: string) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'p',
        sequenceNumber: seq,
        data,
        approximateArrivalTimestamp: 1,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${seq}`,
      eventName: 'aws:kinesis:record',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/flowlens',
    });
    const result = await handler(
      {
        Records: [
          rec(
            '49590338271490256608559692538361571095921575989136588801',
            cwlPayload(flowLines(4)).toString('base64'),
          ),
          rec(
            '49590338271490256608559692538361571095921575989136588802',
            cwlControlPayload().toString('base64'),
          ),
          rec('49590338271490256608559692538361571095921575989136588803', 'not base64!'),
          rec(
            '49590338271490256608559692538361571095921575989136588804',
            gzipSync('{"truncated').toString('base64'),
          ),
          rec(
            '49590338271490256608559692538361571095921575989136588805',
            cwlPayload(flowLines(3)).toString('base64'),
          ),
        ],
      },
      {},
    );
    assert.deepEqual(result, {
      batchItemFailures: [
        { itemIdentifier: '49590338271490256608559692538361571095921575989136588803' },
        { itemIdentifier: '49590338271490256608559692538361571095921575989136588804' },
      ],
    });
    assert.equal(captured.length, 7);
    assert.ok(captured.every((c) => typeof c.recordId === 'string' && c.recordId.length > 0));
  });

  it('takes a direct CloudWatch Logs subscription event', async () => {
    const { handler } = handlerWith();
    const result = await handler({ awslogs: { data: cwlPayload(flowLines(6)).toString('base64') } }, {});
    assert.equal((result as { records: number }).records, 6);
    assert.deepEqual(captured.map((c) => c.srcport).sort(), range(6));
  });

  it('transforms Firehose records to JSON lines, Dropped for control messages', async () => {
    const { handler } = handlerWith({ FLOWLENS_SCHEMA: 'raw' });
    const lines = flowLines(3);
    const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
    const result = (await handler(
      {
        invocationId: 'inv-1',
        deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/flowlens',
        region: 'us-east-1',
        records: [
          {
            recordId: 'r1',
            approximateArrivalTimestamp: 1,
            data: b64(JSON.stringify({ message: lines[0] })),
          },
          { recordId: 'r2', approximateArrivalTimestamp: 1, data: b64(lines[1]!) },
          { recordId: 'r3', approximateArrivalTimestamp: 1, data: b64(cwlControlPayload()) },
          { recordId: 'r4', approximateArrivalTimestamp: 1, data: '%%%' },
          { recordId: 'r5', approximateArrivalTimestamp: 1, data: b64(cwlPayload(lines)) },
        ],
      },
      {},
    )) as { records: Array<{ recordId: string; result: string; data: string }> };
    assert.deepEqual(
      result.records.map((r) => [r.recordId, r.result]),
      [
        ['r1', 'Ok'],
        ['r2', 'Ok'],
        ['r3', 'Dropped'],
        ['r4', 'ProcessingFailed'],
        ['r5', 'Ok'],
      ],
    );
    const docs = (i: number) =>
      Buffer.from(result.records[i]!.data, 'base64')
        .toString('utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(docs(0)[0]!.srcport, 10000);
    assert.equal(docs(1)[0]!.srcport, 10001);
    assert.deepEqual(
      docs(4).map((d) => d.srcport),
      range(3),
    );
    assert.equal(result.records[3]!.data, '%%%', 'a failed record is passed back unchanged');
  });
});

describe('Firehose transformation limits', () => {
  it('fails the records that would push the answer past 6 MB instead of failing the batch', async () => {
    const { handler } = handlerWith();
    // About 3 MB of JSON lines each: the first fits, three cannot.
    const big = cwlPayload(flowLines(4_000)).toString('base64');
    const result = (await handler(
      {
        invocationId: 'inv-big',
        records: ['big-1', 'big-2', 'big-3'].map((recordId) => ({ recordId, data: big })),
      },
      {},
    )) as { records: Array<{ recordId: string; result: string; data: string }> };
    const results = result.records.map((r) => r.result);
    assert.equal(results[0], 'Ok');
    assert.equal(results[2], 'ProcessingFailed');
    for (const r of result.records) if (r.result === 'ProcessingFailed') assert.equal(r.data, big);
    assert.ok(JSON.stringify(result).length < 6_000_000);
  });
});

describe('configuration', () => {
  it('names a bad setting at cold start and fails every invocation with it', async () => {
    const logs: string[] = [];
    const handler = createHandler(env({ FLOWLENS_BATCH_SIZE: 'lots' }), { log: (l) => logs.push(l) });
    await assert.rejects(handler(s3Event(BUCKET, []), {}), /FLOWLENS_BATCH_SIZE/);
    assert.equal(logs.length, 1);
    assert.match(JSON.parse(logs[0]!).message, /FLOWLENS_BATCH_SIZE: expected a number/);
  });

  it('names an unknown sink at cold start', async () => {
    const { handler, logs } = handlerWith({ FLOWLENS_SINKS: 'capture,carrier-pigeon' });
    await assert.rejects(handler(s3Event(BUCKET, []), {}), /FLOWLENS_SINKS: unknown sink "carrier-pigeon"/);
    assert.match(logs[0]!, /configuration: FLOWLENS_SINKS/);
  });

  it('rejects an event it does not know with a one-line error', async () => {
    const { handler } = handlerWith();
    await assert.rejects(handler({ hello: 'world' }, {}), /unrecognised event \(keys: hello\)/);
  });
});
