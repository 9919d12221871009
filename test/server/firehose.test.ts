import assert from 'node:assert/strict';
import '../aws/capture-sink.js';
import { once } from 'node:events';
import { request } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { serveOptionSpecs } from '../../src/cli/serve.js';
import { resolveWithConfig } from '../../src/pipeline/options.js';
import { type FlowlensServer, startServer } from '../../src/server/server.js';
import { captured, resetCaptured } from '../aws/capture-sink.js';
import { cwlControlPayload, cwlPayload, flowLines } from '../aws/helpers.js';
import { memoryLogger } from './helpers.js';

const KEY = 'a-very-secret-key';
let server: FlowlensServer;
const logs: Array<Record<string, unknown>> = [];

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

interface Sent {
  status: number;
  headers: Headers;
  body: { requestId: string; timestamp: number; errorMessage?: string };
}

async function post(body: string | Buffer, headers: Record<string, string> = {}): Promise<Sent> {
  const res = await fetch(`${server.url}/firehose`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-Amz-Firehose-Protocol-Version': '1.0',
      'X-Amz-Firehose-Access-Key': KEY,
      ...headers,
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}

function requestBody(requestId: string, records: Array<string | Buffer>): string {
  return JSON.stringify({
    requestId,
    timestamp: Date.now(),
    records: records.map((r) => ({ data: b64(r) })),
  });
}

before(async () => {
  const options = resolveWithConfig(
    serveOptionSpecs(),
    {
      flags: {
        port: '0',
        host: '127.0.0.1',
        to: ['capture'],
        'firehose-access-key': KEY,
        'max-body': '65536',
      },
      positionals: [],
    },
    {},
  );
  server = await startServer(options, { env: {}, log: memoryLogger(logs) });
});
after(async () => {
  await server.close();
});
beforeEach(() => resetCaptured());

describe('POST /firehose', () => {
  it('ingests flow-log lines, {"message"} wrappers and CloudWatch payloads; echoes requestId', async () => {
    const lines = flowLines(6);
    const res = await post(
      requestBody('req-plain', [
        JSON.stringify({ message: lines[0] }),
        lines[1]!,
        cwlPayload(lines.slice(2, 5)),
        cwlControlPayload(),
        `${lines[5]}\n`,
      ]),
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.requestId, 'req-plain');
    assert.equal(typeof res.body.timestamp, 'number');
    assert.equal(res.body.errorMessage, undefined);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(res.headers.get('content-encoding'), null);
    assert.deepEqual(captured.map((c) => c.srcport).sort(), [10000, 10001, 10002, 10003, 10004, 10005]);
  });

  it('accepts a gzip request body', async () => {
    const res = await post(gzipSync(requestBody('req-gzip', flowLines(4))), { 'Content-Encoding': 'gzip' });
    assert.equal(res.status, 200);
    assert.equal(res.body.requestId, 'req-gzip');
    assert.equal(captured.length, 4);
  });

  it('acknowledges a repeated request id without ingesting it twice', async () => {
    const body = requestBody('req-again', flowLines(3));
    assert.equal((await post(body)).status, 200);
    const again = await post(body);
    assert.equal(again.status, 200);
    assert.equal(again.body.requestId, 'req-again');
    assert.equal(captured.length, 3);
  });

  it('ingests once when the same request id arrives twice at the same time', async () => {
    const body = requestBody('req-twins', flowLines(50));
    const [a, b] = await Promise.all([post(body), post(body)]);
    assert.deepEqual([a.status, b.status], [200, 200]);
    assert.equal(captured.length, 50);
  });

  it('answers 401 for a wrong or missing access key', async () => {
    const wrong = await post(requestBody('req-key', flowLines(1)), { 'X-Amz-Firehose-Access-Key': 'nope' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body.errorMessage!, /access key/);
    const res = await fetch(`${server.url}/firehose`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Amz-Firehose-Request-Id': 'req-nokey' },
      body: requestBody('req-nokey', flowLines(1)),
    });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { requestId: string }).requestId, 'req-nokey');
    assert.equal(captured.length, 0);
  });

  it('answers 413 above the body limit, on the wire and after decompression', async () => {
    const big = requestBody('req-big', [Buffer.alloc(70_000, 0x41)]);
    const res = await post(big, { 'X-Amz-Firehose-Request-Id': 'req-big' });
    assert.equal(res.status, 413);
    assert.equal(res.body.requestId, 'req-big');
    assert.match(res.body.errorMessage!, /exceeds the limit of 65536/);
    // Without a Content-Length (chunked), the limit is counted as the body arrives.
    const chunked = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = new URL(`${server.url}/firehose`);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'X-Amz-Firehose-Access-Key': KEY, 'X-Amz-Firehose-Request-Id': 'req-chunked' },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(big.slice(0, 40_000));
      req.write(big.slice(40_000));
      req.end();
    });
    assert.equal(chunked.status, 413);
    assert.equal(JSON.parse(chunked.text).requestId, 'req-chunked');
    // A small gzip that inflates past the limit is stopped while inflating.
    const bomb = gzipSync(Buffer.alloc(50_000_000, 0x20));
    assert.ok(bomb.length < 65536);
    const inflated = await post(bomb, {
      'Content-Encoding': 'gzip',
      'X-Amz-Firehose-Request-Id': 'req-bomb',
    });
    assert.equal(inflated.status, 413);
    assert.match(inflated.body.errorMessage!, /decompressed request body exceeds/);
  });

  it('answers 400 with errorMessage for malformed JSON, bad base64 or a bad record; nothing ingested', async () => {
    const junk = await post('{"requestId": "req-junk", "records": [', {
      'X-Amz-Firehose-Request-Id': 'req-junk',
    });
    assert.equal(junk.status, 400);
    assert.equal(junk.body.requestId, 'req-junk');
    assert.match(junk.body.errorMessage!, /malformed JSON body/);

    const badB64 = JSON.stringify({
      requestId: 'req-b64',
      timestamp: 1,
      records: [{ data: b64(flowLines(1)[0]!) }, { data: 'no*base64' }],
    });
    const res = await post(badB64);
    assert.equal(res.status, 400);
    assert.equal(res.body.requestId, 'req-b64');
    assert.match(res.body.errorMessage!, /records\[1\]: data is not valid base64/);

    const badRecord = await post(requestBody('req-rec', ['{"neither": 1}']));
    assert.equal(badRecord.status, 400);
    assert.match(badRecord.body.errorMessage!, /records\[0\]: JSON record without "message" or "logEvents"/);

    const noId = await post(JSON.stringify({ records: [] }));
    assert.equal(noId.status, 400);
    assert.match(noId.body.errorMessage!, /requestId is missing/);

    const gz = await post('not gzip at all', { 'Content-Encoding': 'gzip' });
    assert.equal(gz.status, 400);
    assert.match(gz.body.errorMessage!, /cannot be decompressed/);
    assert.equal(captured.length, 0);
  });

  it('serves /healthz and 404 elsewhere', async () => {
    const ok = await fetch(`${server.url}/healthz`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { status: 'ok' });
    assert.equal((await fetch(`${server.url}/nowhere`)).status, 404);
  });
});

describe('shutdown', () => {
  it('finishes a request in flight, then closes', async () => {
    const options = resolveWithConfig(
      serveOptionSpecs(),
      { flags: { port: '0', host: '127.0.0.1', to: ['capture'] }, positionals: [] },
      {},
    );
    const local = await startServer(options, { env: {}, log: memoryLogger() });
    const body = Buffer.from(requestBody('req-late', flowLines(2)));
    const url = new URL(`${local.url}/firehose`);
    // The server has the request (headers and the first bytes) before shutdown begins.
    const arrived = once(local.server, 'request');
    let sendRest!: () => void;
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'Content-Length': body.length },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, 10));
      sendRest = () => req.end(body.subarray(10));
    });
    await arrived;
    const closed = local.close();
    // The rest of the body arrives after shutdown has begun.
    sendRest();
    const res = await response;
    await closed;
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.text).requestId, 'req-late');
    assert.equal(captured.length, 2);
    await assert.rejects(fetch(`${local.url}/healthz`));
  });
});
