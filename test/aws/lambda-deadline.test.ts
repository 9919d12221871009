import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createHandler } from '../../src/lambda/handler.js';
import { TestHttpServer } from '../receivers/http-server.js';
import { cwlPayload, flowLines, flowObject, type LocalS3, s3Event, sqsEvent, startS3 } from './helpers.js';

const BUCKET = 'deadline-logs';
let s3: LocalS3;

before(async () => {
  s3 = await startS3();
  await s3.bucket(BUCKET);
  await s3.put(BUCKET, 'a.log.gz', flowObject(50));
  await s3.put(BUCKET, 'junk.log.gz', gzipSync('not a flow log\nnor is this\n'));
});
after(async () => {
  await s3.close();
});

/**
 * A handler whose sink is the http sink at `url`; retries would last minutes without a deadline.
 * Of the 12 s invocation, 8 s are kept in reserve: the handler stops retrying with 8 s left,
 * room for a loaded machine to finish and report before the deadline.
 */
function handlerFor(url: string) {
  const logs: string[] = [];
  const handler = createHandler(
    {
      FLOWLENS_SINKS: 'http',
      FLOWLENS_HTTP_URL: url,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      FLOWLENS_CONTINUATION: 'off',
      FLOWLENS_TIME_RESERVE_MS: '8000',
      FLOWLENS_RETRY_ATTEMPTS: '50',
      FLOWLENS_RETRY_INITIAL_DELAY: '2000',
      FLOWLENS_RETRY_MAX_DELAY: '20000',
    },
    { log: (l) => logs.push(l) },
  );
  return { handler, logs };
}

/** A Lambda context whose invocation ends `ms` from now. */
function contextEnding(ms: number) {
  const end = Date.now() + ms;
  return { end, context: { getRemainingTimeInMillis: () => end - Date.now() } };
}

describe('Lambda: every retry ends before the invocation deadline', () => {
  for (const [label, reply] of [
    ['answers 503 to every request', { kind: 'status', status: 503 }],
    ['never answers', { kind: 'stall' }],
  ] as const) {
    it(`a sink that ${label}: the message is reported failed before the deadline`, async () => {
      const sink = await new TestHttpServer(() => reply).start();
      try {
        const { handler, logs } = handlerFor(sink.url);
        const { end, context } = contextEnding(12_000);
        const result = await handler(
          sqsEvent([{ id: 'm-1', body: JSON.stringify(s3Event(BUCKET, ['a.log.gz'])) }]),
          context,
        );
        // the handler came back while the invocation was still alive, with the message failed
        assert.ok(Date.now() < end, `returned ${Date.now() - end} ms after the deadline`);
        assert.deepEqual(result, { batchItemFailures: [{ itemIdentifier: 'm-1' }] });
        assert.ok(sink.requests.length >= 1);
        assert.match(logs.join('\n'), /invocation deadline/);
      } finally {
        await sink.stop();
      }
    });
  }

  it('a Kinesis batch with the sink down: every record failed before the deadline', async () => {
    const sink = await new TestHttpServer(() => ({ kind: 'status', status: 503 })).start();
    try {
      const { handler } = handlerFor(sink.url);
      const { end, context } = contextEnding(12_000);
      const data = cwlPayload(flowLines(3)).toString('base64');
      const result = await handler(
        {
          Records: [
            {
              kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'p', sequenceNumber: '1', data },
              eventSource: 'aws:kinesis',
              eventVersion: '1.0',
              eventID: 'shardId-000000000000:1',
              eventName: 'aws:kinesis:record',
              awsRegion: 'us-east-1',
              eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/flowlens',
            },
          ],
        },
        context,
      );
      assert.ok(Date.now() < end, `returned ${Date.now() - end} ms after the deadline`);
      assert.deepEqual(result, { batchItemFailures: [{ itemIdentifier: '1' }] });
    } finally {
      await sink.stop();
    }
  });
});

describe('Lambda: an object whose every line is malformed', () => {
  it('fails its SQS message, naming the object', async () => {
    const sink = await new TestHttpServer(() => ({ kind: 'ok' })).start();
    try {
      const { handler, logs } = handlerFor(sink.url);
      const result = await handler(
        sqsEvent([
          { id: 'good', body: JSON.stringify(s3Event(BUCKET, ['a.log.gz'])) },
          { id: 'junk', body: JSON.stringify(s3Event(BUCKET, ['junk.log.gz'])) },
        ]),
        { getRemainingTimeInMillis: () => 600_000 },
      );
      assert.deepEqual(result, { batchItemFailures: [{ itemIdentifier: 'junk' }] });
      assert.match(logs.join('\n'), /junk\.log\.gz: no usable record: all 2 lines are malformed/);
    } finally {
      await sink.stop();
    }
  });
});
