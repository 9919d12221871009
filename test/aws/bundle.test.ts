import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { OtlpHttpReceiver } from '../receivers/otlp-http.js';
import {
  cwlControlPayload,
  cwlPayload,
  eventBridgeEvent,
  flowLines,
  flowObject,
  type LocalS3,
  s3Event,
  snsEnvelope,
  sqsEvent,
  startS3,
} from './helpers.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const bundle = join(root, 'dist/lambda/index.mjs');
const zip = join(root, 'dist/flowlens-lambda.zip');
const BUCKET = 'bundle-logs';
const KEY = 'AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/a b+c.log.gz';

let s3: LocalS3;
let receiver: OtlpHttpReceiver;
let work: string;
/** The zip's contents, as Lambda unpacks them (`/var/task`). */
let unpacked: string;

before(async () => {
  await run(process.execPath, [join(root, 'scripts/package-lambda.mjs')], { cwd: root });
  s3 = await startS3();
  await s3.bucket(BUCKET);
  await s3.put(BUCKET, KEY, flowObject(5));
  receiver = await new OtlpHttpReceiver().start();
  work = mkdtempSync(join(tmpdir(), 'flowlens-bundle-'));
  unpacked = join(work, 'task');
  mkdirSync(unpacked);
  for (const e of zipEntries(readFileSync(zip))) writeFileSync(join(unpacked, e.name), e.data);
});
after(async () => {
  await receiver.stop();
  await s3.close();
  rmSync(work, { recursive: true, force: true });
});

/** The local file entries of a zip (stored or deflated as the package script writes them). */
function zipEntries(z: Buffer): { name: string; data: Buffer }[] {
  const out: { name: string; data: Buffer }[] = [];
  for (let at = 0; z.readUInt32LE(at) === 0x04034b50; ) {
    const nameLength = z.readUInt16LE(at + 26);
    const packed = z.readUInt32LE(at + 18);
    const start = at + 30 + nameLength + z.readUInt16LE(at + 28);
    out.push({
      name: z.toString('utf8', at + 30, at + 30 + nameLength),
      data: inflateRawSync(z.subarray(start, start + packed)),
    });
    at = start + packed;
  }
  return out;
}

/**
 * Runs the handler of the zip's contents, unpacked as Lambda unpacks them, in a fresh Node
 * process, one event after another; returns the results and what the process wrote to stderr.
 */
async function invokeBundle(
  events: unknown[],
  env: Record<string, string>,
): Promise<{ results: unknown[]; stderr: string }> {
  const runner = join(work, 'runner.mjs');
  const eventsFile = join(work, 'events.json');
  const resultsFile = join(work, 'results.json');
  writeFileSync(eventsFile, JSON.stringify(events));
  writeFileSync(
    runner,
    `import { readFileSync, writeFileSync } from 'node:fs';
import { handler } from ${JSON.stringify(join(unpacked, 'index.mjs'))};
const results = [];
for (const event of JSON.parse(readFileSync(${JSON.stringify(eventsFile)}, 'utf8'))) {
  try {
    results.push(await handler(event, { getRemainingTimeInMillis: () => 600000, awsRequestId: 'r' }));
  } catch (err) {
    results.push({ error: err.message });
  }
}
writeFileSync(${JSON.stringify(resultsFile)}, JSON.stringify(results));
`,
  );
  const { stderr } = await run(process.execPath, [runner], {
    cwd: work,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      FLOWLENS_SINKS: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      FLOWLENS_CONTINUATION: 'off',
      ...env,
    },
  });
  return { results: JSON.parse(readFileSync(resultsFile, 'utf8')) as unknown[], stderr };
}

describe('the Lambda package', () => {
  it('is one ESM file and the WebAssembly modules, zipped as index.mjs and <name>.wasm', () => {
    const entries = zipEntries(readFileSync(zip));
    // the bundle, then every WebAssembly module, read beside it
    const wasm = readdirSync(join(root, 'dist/wasm')).sort();
    assert.deepEqual(wasm, ['community-id.wasm', 'line-scanner.wasm', 'otlp-lines.wasm', 'row-spread.wasm']);
    assert.deepEqual(
      entries.map((e) => e.name),
      ['index.mjs', ...wasm],
    );
    assert.deepEqual(entries[0]!.data, readFileSync(bundle));
    for (const [k, name] of wasm.entries())
      assert.deepEqual(entries[k + 1]!.data, readFileSync(join(root, 'dist/wasm', name)));
    assert.doesNotMatch(readFileSync(bundle, 'utf8'), /duckdb\.node/);
  });

  it('handles every event shape in a fresh process, delivering to an OTLP receiver', async () => {
    const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64');
    const before = receiver.accepted.length;
    const { results, stderr } = await invokeBundle(
      [
        s3Event(BUCKET, [KEY]),
        sqsEvent([
          { id: 'sqs', body: JSON.stringify(s3Event(BUCKET, [KEY])) },
          { id: 'sns', body: snsEnvelope(s3Event(BUCKET, [KEY])) },
          { id: 'eb', body: JSON.stringify(eventBridgeEvent(BUCKET, KEY)) },
          { id: 'test', body: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }) },
          { id: 'gone', body: JSON.stringify(s3Event(BUCKET, ['missing.log.gz'])) },
        ]),
        eventBridgeEvent(BUCKET, KEY),
        {
          Records: [
            {
              eventSource: 'aws:kinesis',
              kinesis: { sequenceNumber: '1', data: b64(cwlPayload(flowLines(4))) },
            },
            { eventSource: 'aws:kinesis', kinesis: { sequenceNumber: '2', data: b64(cwlControlPayload()) } },
          ],
        },
        { awslogs: { data: b64(cwlPayload(flowLines(3))) } },
        {
          invocationId: 'i',
          records: [
            { recordId: 'a', data: b64(JSON.stringify({ message: flowLines(1)[0] })) },
            { recordId: 'b', data: b64(cwlControlPayload()) },
          ],
        },
        {
          flowlens: 'continuation',
          version: 1,
          current: { object: { bucket: BUCKET, keys: [KEY] }, after: 4 },
          pending: [],
          hops: 1,
        },
      ],
      {},
    );
    assert.deepEqual(results[0], { ok: true, objects: 1, records: 5, continued: false });
    assert.deepEqual(results[1], { batchItemFailures: [{ itemIdentifier: 'gone' }] });
    assert.deepEqual(results[2], { ok: true, objects: 1, records: 5, continued: false });
    assert.deepEqual(results[3], { batchItemFailures: [] });
    assert.deepEqual(results[4], { ok: true, objects: 0, records: 3, continued: false });
    const fh = results[5] as { records: Array<{ recordId: string; result: string }> };
    assert.deepEqual(
      fh.records.map((r) => [r.recordId, r.result]),
      [
        ['a', 'Ok'],
        ['b', 'Dropped'],
      ],
    );
    // Header is line 1: after line 4 come the records on lines 5 and 6.
    assert.deepEqual(results[6], { ok: true, objects: 1, records: 2, continued: false });
    // 5 direct + 15 via SQS/SNS/EventBridge + 5 EventBridge + 4 Kinesis + 3 awslogs + 2 resumed.
    assert.equal(receiver.accepted.length - before, 34);
    // the WebAssembly modules were found beside the bundle (no fallback warning)
    assert.doesNotMatch(stderr, /wasm not found/);
  });

  it('fails with the setting named when the configuration is bad', async () => {
    const {
      results: [result],
    } = await invokeBundle([s3Event(BUCKET, [KEY])], {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon',
    });
    assert.match((result as { error: string }).error, /OTEL_EXPORTER_OTLP_PROTOCOL/);
  });

  it('reports the store sink as unavailable rather than failing to load', async () => {
    const {
      results: [result],
    } = await invokeBundle([s3Event(BUCKET, [KEY])], { FLOWLENS_SINKS: 'store' });
    assert.match((result as { error: string }).error, /store sink needs DuckDB/);
  });
});
