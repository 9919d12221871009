import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { gzipBomb } from './gzip-bomb.js';

/**
 * Requests that once froze `flowlens serve` or could exhaust its memory, each with the answer
 * it must get. Shared by the test that sends them (test/server/hostile.test.ts) and the
 * `serve-hostile` bench scenario that times /healthz while each is in flight.
 */
export interface HostileRequest {
  readonly name: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body as sent (gzip when Content-Encoding says so). */
  readonly body: Buffer;
  /** Send without Content-Length (chunked), so the limit is found while reading. */
  readonly chunked?: boolean;
  /** Send only the head (its Content-Length the body's): the answer must not wait for the body. */
  readonly headOnly?: boolean;
  readonly status: number;
  /** What the answer's errorMessage must say (a 200 has none). */
  readonly errorMessage?: RegExp;
}

const LINE = '2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1780272000 1780272060 ACCEPT OK';
const JSON_HEADERS = { 'Content-Type': 'application/json', 'X-Amz-Firehose-Protocol-Version': '1.0' };

function firehoseBody(id: string, records: ReadonlyArray<Buffer | string>): Buffer {
  const data = records.map((r) => ({ data: Buffer.from(r).toString('base64') }));
  return Buffer.from(JSON.stringify({ requestId: id, timestamp: 1, records: data }));
}

/** A CloudWatch Logs payload of `events` events, gzipped. */
function cloudWatchPayload(events: number): Buffer {
  return gzipSync(
    JSON.stringify({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: 'g',
      logStream: 's',
      subscriptionFilters: ['f'],
      logEvents: Array.from({ length: events }, (_, i) => ({ id: `${i}`, timestamp: 1, message: LINE })),
    }),
  );
}

/**
 * Every hostile request, sized against the server's `--max-body` (bytes): the oversized ones
 * pass it, the rest stay far under it.
 */
export function hostileRequests(maxBody: number): HostileRequest[] {
  const wide = (() => {
    const header = ['version', 'srcaddr'];
    for (let i = 0; i < 4000; i++) header.push(`f${i}`);
    const rows = [header.join(' ')];
    for (let k = 0; k < 3; k++)
      rows.push(['2', `10.0.0.${k}`, ...header.slice(2).map((_, i) => `v${i}`)].join(' '));
    return `${rows.join('\n')}\n`;
  })();
  const damaged = cloudWatchPayload(100);
  damaged[damaged.length >> 1]! ^= 0xff;
  const corruptBody = gzipSync(firehoseBody('corrupt-body', [LINE]));
  corruptBody.fill(0x55, 20, 40);
  const oversized = Buffer.alloc(maxBody + (1 << 20), 0x20);
  return [
    {
      name: 'newlines',
      headers: JSON_HEADERS,
      body: firehoseBody('newlines', [`${'\n'.repeat(262_144)}${LINE}${'\r\n'.repeat(1024)}`]),
      status: 200,
    },
    {
      name: 'wide-header',
      headers: JSON_HEADERS,
      body: firehoseBody('wide-header', [wide]),
      status: 200,
    },
    {
      name: 'leading-whitespace',
      headers: JSON_HEADERS,
      body: firehoseBody('leading-whitespace', [`${'\n'.repeat(1 << 20)}${LINE}\n`]),
      status: 200,
    },
    {
      name: 'bom',
      headers: JSON_HEADERS,
      body: firehoseBody('bom', [`\ufeff${LINE}\n`]),
      status: 200,
    },
    {
      name: 'out-of-domain',
      headers: JSON_HEADERS,
      body: firehoseBody('out-of-domain', [LINE.replace(' 1 2 6 ', ' 70000 2 999 ')]),
      status: 400,
      errorMessage: /out of range/,
    },
    {
      name: 'bad-base64',
      headers: JSON_HEADERS,
      body: Buffer.from(JSON.stringify({ requestId: 'bad-base64', records: [{ data: 'H4sI!!!!' }] })),
      status: 400,
      errorMessage: /not valid base64/,
    },
    {
      name: 'damaged-gzip-record',
      headers: JSON_HEADERS,
      body: firehoseBody('damaged-gzip-record', [damaged]),
      status: 400,
      errorMessage: /^firehose:damaged-gzip-record\/0: gzip stream damaged/,
    },
    {
      name: 'corrupt-gzip-body',
      headers: { ...JSON_HEADERS, 'Content-Encoding': 'gzip' },
      body: corruptBody,
      status: 400,
      errorMessage: /gzip|JSON/,
    },
    {
      name: 'huge-body',
      headers: JSON_HEADERS,
      body: oversized,
      headOnly: true,
      status: 413,
      errorMessage: /exceeds the limit/,
    },
    {
      name: 'huge-body-chunked',
      headers: JSON_HEADERS,
      body: oversized,
      chunked: true,
      status: 413,
      errorMessage: /exceeds the limit/,
    },
    {
      name: 'gzip-bomb',
      headers: { ...JSON_HEADERS, 'Content-Encoding': 'gzip' },
      body: gzipBomb(0, Math.ceil((maxBody * 16) / (1 << 20))),
      status: 413,
      errorMessage: /decompressed request body exceeds the limit/,
    },
  ];
}

export interface Answer {
  readonly status: number;
  readonly body: string;
}

/**
 * Sends one hostile request to `<url>/firehose` and resolves with the answer. The body goes in
 * 1 MiB pieces and stops once the answer is in: a server refusing an oversized body answers
 * before reading it and closes the connection, and a write after that would only fail.
 */
export function sendHostile(url: string, h: HostileRequest): Promise<Answer> {
  const target = new URL('/firehose', url);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      target,
      {
        method: 'POST',
        // A connection of its own, closed after the answer: nothing of it carries over.
        agent: false,
        headers: { ...h.headers, ...(h.chunked ? {} : { 'Content-Length': String(h.body.length) }) },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() });
          req.destroy();
        });
        res.on('error', reject);
      },
    );
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (h.headOnly) {
      req.flushHeaders();
      return;
    }
    const piece = 1 << 20;
    let at = 0;
    const more = (): void => {
      while (at < h.body.length && !answered) {
        const ok = req.write(h.body.subarray(at, at + piece));
        at += piece;
        if (!ok) {
          req.once('drain', more);
          return;
        }
      }
      if (!answered) req.end();
    };
    more();
  });
}
