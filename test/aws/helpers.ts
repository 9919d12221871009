import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
// s3rver ships no types.
// @ts-expect-error
import S3rver from 's3rver';

// s3rver checks signatures against its fixed credentials.
process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_REQUEST_CHECKSUM_CALCULATION = 'WHEN_REQUIRED';
process.env.AWS_RESPONSE_CHECKSUM_VALIDATION = 'WHEN_REQUIRED';

// s3rver builds ListObjectsV2 continuation tokens with DES, which OpenSSL 3 no longer ships:
// let its DES calls run on AES (key and IV zero-padded) so paginated listings work in tests.
const desShim = (make: typeof crypto.createCipheriv) =>
  ((alg: string, key: Buffer, iv: Buffer, opts?: unknown) =>
    alg === 'des'
      ? make('aes-128-cbc', Buffer.concat([key, Buffer.alloc(8)]), Buffer.concat([iv, Buffer.alloc(8)]))
      : (make as (...a: unknown[]) => crypto.Cipher)(
          alg,
          key,
          iv,
          opts,
        )) as unknown as typeof crypto.createCipheriv;
crypto.createCipheriv = desShim(crypto.createCipheriv);
crypto.createDecipheriv = desShim(
  crypto.createDecipheriv as unknown as typeof crypto.createCipheriv,
) as unknown as typeof crypto.createDecipheriv;

export interface LocalS3 {
  readonly endpoint: string;
  readonly client: S3Client;
  put(bucket: string, key: string, body: Uint8Array | string): Promise<void>;
  bucket(name: string): Promise<void>;
  close(): Promise<void>;
}

/** s3rver on a random loopback port, driven by the real AWS SDK v3. */
export async function startS3(): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'flowlens-s3rver-'));
  const s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  const addr = (await s3rver.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${addr.port}`;
  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
  return {
    endpoint,
    client,
    async bucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async put(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async close() {
      client.destroy();
      await s3rver.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

export const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

/** `n` v2 records; record i has srcport 10000+i so every record is identifiable. */
export function flowLines(n: number, tag = 0): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      `2 123456789012 eni-0a1b2c3d4e5f6${String(tag).padStart(4, '0')} 10.0.${i % 250}.${(i * 7) % 250} 172.31.${tag % 250}.9 ${10000 + i} 443 6 ${i + 1} ${(i + 1) * 100} 1714521600 1714521660 ACCEPT OK`,
    );
  }
  return out;
}

/** A gzip flow-log object with a header line, as AWS writes to S3. */
export function flowObject(n: number, tag = 0): Buffer {
  return gzipSync(Buffer.from([HEADER, ...flowLines(n, tag)].join('\n') + '\n'));
}

/** Form-style encoding S3 notifications use for keys (space → +, / kept). */
export function notificationKey(key: string): string {
  return encodeURIComponent(key).replaceAll('%20', '+').replaceAll('%2F', '/');
}

export function s3Event(bucket: string, keys: readonly string[]): Record<string, unknown> {
  return {
    Records: keys.map((key) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: '2024-05-01T00:05:00.000Z',
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'flowlens',
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: { key: notificationKey(key), size: 1, eTag: 'x', sequencer: '0' },
      },
    })),
  };
}

export function eventBridgeEvent(bucket: string, key: string): Record<string, unknown> {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2024-05-01T00:05:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key: notificationKey(key), size: 1, etag: 'x', sequencer: '0' },
      'request-id': 'r',
      requester: '123456789012',
      reason: 'PutObject',
    },
  };
}

export function sqsEvent(bodies: ReadonlyArray<{ id: string; body: string }>): Record<string, unknown> {
  return {
    Records: bodies.map(({ id, body }) => ({
      messageId: id,
      receiptHandle: `rh-${id}`,
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1714521900000' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:flowlens',
      awsRegion: 'us-east-1',
    })),
  };
}

export function snsEnvelope(message: unknown): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: 'd0b0f1e2-0000-4000-8000-000000000001',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:flowlens',
    Subject: 'Amazon S3 Notification',
    Message: JSON.stringify(message),
    Timestamp: '2024-05-01T00:05:00.000Z',
    SignatureVersion: '1',
    Signature: 'x',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/x.pem',
    UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
  });
}

/** A CloudWatch Logs subscription payload (gzip JSON) carrying the given lines. */
export function cwlPayload(lines: readonly string[], stream = 'eni-0a1b2c3d4e5f60000'): Buffer {
  return gzipSync(
    JSON.stringify({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: '/vpc/flowlogs',
      logStream: stream,
      subscriptionFilters: ['flowlens'],
      logEvents: lines.map((message, i) => ({
        id: String(37000000000000000000000000000000000000000000000000000000n + BigInt(i)),
        timestamp: 1714521600000,
        message,
      })),
    }),
  );
}

export function cwlControlPayload(): Buffer {
  return gzipSync(
    JSON.stringify({
      messageType: 'CONTROL_MESSAGE',
      owner: 'CloudwatchLogs',
      logGroup: '',
      logStream: '',
      subscriptionFilters: [],
      logEvents: [
        {
          id: '',
          timestamp: 1714521600000,
          message: 'CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.',
        },
      ],
    }),
  );
}

/**
 * An HTTP proxy in front of s3rver that cuts the first full (unranged) GET of `key` after
 * `cutAfter` body bytes, then passes everything through. Records the Range headers it saw.
 */
export async function startCuttingProxy(
  upstream: string,
  key: string,
  cutAfter: number,
): Promise<{ url: string; ranges: string[]; cuts: number; close(): Promise<void> }> {
  const target = new URL(upstream);
  const state = { ranges: [] as string[], cuts: 0 };
  const server: Server = createServer((req, res) => {
    const isTarget = req.method === 'GET' && decodeURIComponent(req.url ?? '').includes(key);
    if (isTarget && req.headers.range) state.ranges.push(String(req.headers.range));
    const cut = isTarget && !req.headers.range && state.cuts === 0;
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        if (!cut) {
          upRes.pipe(res);
          return;
        }
        state.cuts++;
        let sent = 0;
        upRes.on('data', (chunk: Buffer) => {
          if (sent >= cutAfter) return;
          const part = chunk.subarray(0, cutAfter - sent);
          sent += part.length;
          res.write(part);
          if (sent >= cutAfter) {
            upRes.destroy();
            setTimeout(() => res.socket?.destroy(), 20);
          }
        });
        upRes.on('end', () => {
          if (sent < cutAfter) res.end();
        });
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get ranges() {
      return state.ranges;
    },
    get cuts() {
      return state.cuts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
