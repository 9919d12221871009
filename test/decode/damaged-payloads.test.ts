/**
 * A CloudWatch Logs payload that cannot be decoded loses every event it holds: the malformed
 * count says how many (exactly when its event list can be read to the end, as a lower bound
 * when only its start can), the sample names line and damage, and the next line is read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { RunStats } from '../../src/core/stats.js';
import { base64Damage, countLogEvents } from '../../src/decode/damaged-payload.js';
import { decodeCloudWatchPayload } from '../../src/decode/memory.js';
import { bytesInput, decode } from './helpers.js';

const EVENTS = 100;
const line = (i: number): string =>
  `2 123456789010 eni-1235b8ca123456789 10.0.0.1 172.31.16.21 ${i} 443 6 20 4249 1418530010 1418530070 ACCEPT OK`;

/** A CloudWatch Logs payload of EVENTS events, source ports from `from`. */
function payload(from: number): string {
  return JSON.stringify({
    messageType: 'DATA_MESSAGE',
    owner: '123456789010',
    logGroup: 'g',
    logStream: `s${from}`,
    subscriptionFilters: ['f'],
    logEvents: Array.from({ length: EVENTS }, (_, i) => ({
      id: `${from + i}`,
      timestamp: 1418530010000,
      message: line(from + i),
    })),
  });
}

const gzipBase64 = (from: number): string => gzipSync(payload(from)).toString('base64');

/** Source ports of the payloads read whole: the first port of each run of EVENTS. */
function payloadsRead(rows: ReadonlyArray<Record<string, unknown>>): number[] {
  const firsts = rows.map((r) => r.srcport as number).filter((p) => p % EVENTS === 0);
  assert.equal(rows.length, firsts.length * EVENTS, 'only whole payloads');
  return firsts;
}

function lostIn(message: string): { events: number; exact: boolean } {
  const m = /; (at least )?(\d+) log events? lost/.exec(message);
  assert.ok(m, message);
  return { events: Number(m[2]), exact: m[1] === undefined };
}

describe('damaged CloudWatch Logs payloads, one a line', () => {
  it('base64 of JSON with a bad character: every one of its events counted, the next lines read', async () => {
    const bad = Buffer.from(payload(100)).toString('base64');
    const lines = [gzipBase64(0), `${bad.slice(0, 300)}*${bad.slice(301)}`, gzipBase64(200)];
    const d = await decode(bytesInput('b64-json.txt', Buffer.from(`${lines.join('\n')}\n`)));
    assert.equal(d.error, undefined, d.error?.message);
    assert.deepEqual(payloadsRead(d.rows), [0, 200]);
    assert.equal(d.stats.malformed, EVENTS);
    const [problem] = d.stats.malformedSamples;
    assert.equal(problem!.line, 2);
    assert.equal(
      problem!.message,
      `b64-json.txt: line 2 is not valid base64 ("*" at character 301); ${EVENTS} log events lost`,
    );
    assert.equal(problem!.sample, lines[1]!.slice(0, 160));
  });

  it('base64 of gzip with a bad character: the events before the damage counted, at least', async () => {
    const good = gzipBase64(100);
    const at = Math.floor(good.length * 0.8);
    const lines = [gzipBase64(0), `${good.slice(0, at)}!!${good.slice(at + 2)}`, gzipBase64(200)];
    const d = await decode(bytesInput('b64-gzip.txt', Buffer.from(`${lines.join('\n')}\n`)));
    assert.equal(d.error, undefined, d.error?.message);
    assert.deepEqual(payloadsRead(d.rows), [0, 200]);
    const message = d.stats.malformedSamples[0]!.message;
    assert.match(
      message,
      new RegExp(`^b64-gzip\\.txt: line 2 is not valid base64 \\("!" at character ${at + 1}\\)`),
    );
    const lost = lostIn(message);
    assert.equal(lost.exact, false);
    // 80 % of the compressed bytes hold well over half of the events
    assert.ok(lost.events > EVENTS / 2 && lost.events < EVENTS, message);
    assert.equal(d.stats.malformed, lost.events);
  });

  it('a base64 line cut short: what it held up to the cut counted, at least', async () => {
    const good = gzipBase64(100);
    const lines = [gzipBase64(0), good.slice(0, Math.floor(good.length / 2) + 1), gzipBase64(200)];
    const d = await decode(bytesInput('b64-cut.txt', Buffer.from(`${lines.join('\n')}\n`)));
    assert.deepEqual(payloadsRead(d.rows), [0, 200]);
    const message = d.stats.malformedSamples[0]!.message;
    assert.match(
      message,
      /^b64-cut\.txt: line 2 is not valid base64 \(its length is not a multiple of 4: cut off\?\)/,
    );
    const lost = lostIn(message);
    assert.ok(!lost.exact && lost.events > 10 && lost.events < EVENTS, message);
    assert.equal(d.stats.malformed, lost.events);
  });

  it('gzip failing only its CRC check: none of its records, all of its events counted', async () => {
    const gz = gzipSync(payload(100));
    gz[gz.length - 6]! ^= 0xff; // the stored CRC-32
    const lines = [gzipBase64(0), gz.toString('base64'), gzipBase64(200)];
    const d = await decode(bytesInput('b64-crc.txt', Buffer.from(`${lines.join('\n')}\n`)));
    assert.deepEqual(payloadsRead(d.rows), [0, 200]);
    assert.equal(d.stats.malformed, EVENTS);
    assert.match(
      d.stats.malformedSamples[0]!.message,
      /^b64-crc\.txt: record 2: gzip payload cannot be decompressed \(incorrect data check\); 100 log events lost$/,
    );
  });

  it('a line that is not base64 at all: counted once, saying its records cannot be counted', async () => {
    const lines = [gzipBase64(0), 'H4sI~~~~ not a payload', gzipBase64(200)];
    const d = await decode(bytesInput('b64-junk.txt', Buffer.from(`${lines.join('\n')}\n`)));
    assert.deepEqual(payloadsRead(d.rows), [0, 200]);
    assert.equal(d.stats.malformed, 1);
    assert.equal(
      d.stats.malformedSamples[0]!.message,
      'b64-junk.txt: line 2 is not valid base64 ("~" at character 5); its records cannot be counted',
    );
  });
});

describe('damaged CloudWatch Logs payloads in JSON documents', () => {
  it('a document cut off inside its 61st event: at least 61 counted, the later documents read', async () => {
    const doc = payload(100);
    const cut = doc.slice(0, doc.indexOf(`"id":"160"`));
    const text = [payload(0), cut, payload(200)].join('\n');
    const d = await decode(bytesInput('cut.json', Buffer.from(`${text}\n`)));
    assert.equal(d.error, undefined, d.error?.message);
    assert.deepEqual(payloadsRead(d.rows), [0, 200]);
    assert.equal(d.stats.malformed, 61);
    assert.equal(d.stats.malformedSamples[0]!.line, 2);
    assert.equal(
      d.stats.malformedSamples[0]!.message,
      'JSON document cut off; at least 61 log events lost (the rest cannot be read)',
    );
  });

  it('invalid JSON (a raw control byte in a message): every event counted', async () => {
    const doc = payload(100).replace(line(150), `${line(150)}\u0001`);
    const text = [payload(0), doc, payload(200)].join('\n');
    const d = await decode(bytesInput('invalid.json', Buffer.from(`${text}\n`)));
    assert.deepEqual(payloadsRead(d.rows), [0, 200]);
    assert.equal(d.stats.malformed, EVENTS);
    assert.match(d.stats.malformedSamples[0]!.message, /^invalid JSON: .*; 100 log events lost$/);
  });

  it('a Firehose request document: a record with bad base64 loses its events, the others are read', async () => {
    const bad = gzipSync(payload(100));
    bad[bad.length - 6]! ^= 0xff;
    const request = {
      requestId: 'r-1',
      timestamp: 1,
      records: [
        { data: gzipBase64(0) },
        { data: `${Buffer.from(payload(300)).toString('base64').slice(0, 400)}%%%%` },
        { data: bad.toString('base64') },
        { data: gzipBase64(200) },
      ],
    };
    const d = await decode(bytesInput('request.json', Buffer.from(JSON.stringify(request))));
    assert.equal(d.error, undefined, d.error?.message);
    assert.deepEqual(payloadsRead(d.rows), [0, 200]);
    const messages = d.stats.malformedSamples.map((p): [number | undefined, string] => [p.line, p.message]);
    assert.equal(messages.length, 2);
    assert.equal(messages[0]![0], 2);
    assert.match(
      messages[0]![1],
      /^Firehose request r-1: record 2 is not valid base64 \("%" at character 401\); at least \d+ log events? lost/,
    );
    assert.deepEqual(messages[1], [
      3,
      'Firehose request r-1: request.json: record 3: gzip payload cannot be decompressed (incorrect data check); 100 log events lost',
    ]);
    assert.equal(d.stats.malformed, lostIn(messages[0]![1]).events + EVENTS);
  });
});

describe('an in-memory payload (Kinesis record, awslogs event)', () => {
  it('a damaged gzip payload is an error saying how many events it held', async () => {
    const gz = gzipSync(payload(0));
    gz[gz.length - 5]! ^= 0x01;
    const stats = new RunStats();
    const run = async () => {
      for await (const _ of decodeCloudWatchPayload(gz, { stats, source: { id: 'kinesis:1' } })) {
        assert.fail('no batch from a damaged payload');
      }
    };
    await assert.rejects(run, {
      message: 'kinesis:1: gzip payload cannot be decompressed (incorrect data check); 100 log events lost',
    });
  });
});

describe('counting helpers', () => {
  it('base64Damage names the first bad character, or the length', () => {
    assert.equal(base64Damage('QUJD'), -1);
    assert.equal(base64Damage('QUI=\n'), -1);
    assert.equal(base64Damage('QU=='), -1);
    assert.equal(base64Damage('QU=D'), 3);
    assert.equal(base64Damage('QU-D'), 2);
    assert.equal(base64Damage('QUJ'), 3);
    assert.equal(base64Damage('QUJD==='), 6);
  });

  it('countLogEvents counts array elements, braces in strings aside', () => {
    const text = (s: string) => Buffer.from(s);
    assert.deepEqual(countLogEvents(text('{"logEvents": [{"m":"}{"},{"m":"\\"{"}]}')), {
      events: 2,
      exact: true,
    });
    assert.deepEqual(countLogEvents(text('{"logEvents":[{"m":"a"},{"m":"b')), { events: 2, exact: false });
    assert.deepEqual(countLogEvents(text('{"logEvents":[]}')), { events: 0, exact: true });
    assert.equal(countLogEvents(text('{"records":[]}')), undefined);
  });
});
