import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { RunStats } from '../../src/core/stats.js';
import { decodeInput } from '../../src/decode/detect.js';
import { bytesInput, decode } from './helpers.js';

const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const line = (i: number): string =>
  `2 123456789010 eni-1235b8ca123456789 10.0.0.${i % 250} 172.31.16.21 ${i} 443 6 20 4249 1418530010 1418530070 ACCEPT OK`;

/** A header of `version srcaddr` and `n` unknown fields, then `rows` records. */
function wideText(n: number, rows: number): Buffer {
  const header = ['version', 'srcaddr'];
  for (let i = 0; i < n; i++) header.push(`f${i}`);
  const lines = [header.join(' ')];
  for (let k = 0; k < rows; k++) {
    const r = ['2', `10.0.0.${k}`];
    for (let i = 0; i < n; i++) r.push(`v${i}-${k}`);
    lines.push(r.join(' '));
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

describe('hostile text input', () => {
  for (const n of [200, 2000, 4000]) {
    it(`a header with ${n} unknown fields: every record decoded, every value in its column`, async () => {
      const d = await decode(bytesInput(`wide-${n}.txt`, wideText(n, 3)));
      assert.equal(d.error, undefined, d.error?.message);
      assert.equal(d.rows.length, 3);
      assert.equal(d.stats.malformed, 0);
      for (let k = 0; k < 3; k++) {
        const row = d.rows[k]!;
        assert.equal(row.srcaddr, `10.0.0.${k}`);
        assert.equal(row.f0, `v0-${k}`);
        assert.equal(row[`f${n - 1}`], `v${n - 1}-${k}`);
      }
      // one warning names the unknown fields, not one per field
      assert.equal(d.stats.warnings.length, 1);
      assert.match(
        d.stats.warnings[0]!,
        new RegExp(`wide-${n}\\.txt: header on line 1: ${n} unknown fields`),
      );
    });
  }

  it('a wide header gets batches of fewer rows: rows × fields stays within 1 Mi cells', async () => {
    const n = 4000;
    const lines = wideText(n, 250).toString().split('\n');
    const stats = new RunStats();
    const sizes: number[] = [];
    let last = '';
    const input = bytesInput(
      'wide-rows.txt',
      Buffer.from(`${[...lines.slice(0, -1), ...lines.slice(1, 51)].join('\n')}\n`),
    );
    for await (const b of decodeInput(input, { stats })) {
      sizes.push(b.length);
      last = String(b.row(b.length - 1)[`f${n - 1}`]);
    }
    assert.equal(stats.malformed, 0);
    assert.deepEqual(sizes, [262, 38]);
    assert.equal(last, `v${n - 1}-49`);
  });

  it('a run of unknown fields (parsed by a loop): nulls, short lines and junk bytes as in any field', async () => {
    const header = ['version', 'srcaddr', ...Array.from({ length: 20 }, (_, i) => `g${i}`), 'dstport'];
    const values = (k: number) => Array.from({ length: 20 }, (_, i) => `w${i}-${k}`);
    const rows = [
      ['2', '10.0.0.1', ...values(1), '443'],
      ['2', '10.0.0.2', ...values(2)], // one field short
      ['2', '10.0.0.3', '-', ...values(3).slice(1), '80'],
      ['2', '10.0.0.4', ...values(4).slice(0, 5), 'x\u0001y', ...values(4).slice(6), '22'],
      ['2', '10.0.0.5', ...values(5), '53'],
    ];
    const text = `${[header, ...rows].map((r) => r.join(' ')).join('\n')}\n`;
    const d = await decode(bytesInput('run.txt', Buffer.from(text)));
    assert.deepEqual(
      d.rows.map((r) => [r.srcaddr, r.g0, r.g19, r.dstport]),
      [
        ['10.0.0.1', 'w0-1', 'w19-1', 443],
        ['10.0.0.3', null, 'w19-3', 80],
        ['10.0.0.5', 'w0-5', 'w19-5', 53],
      ],
    );
    assert.deepEqual(
      d.stats.malformedSamples.map((m) => [m.line, m.message]),
      [
        [3, 'expected 23 fields (header on line 1), got 22 fields'],
        [5, 'binary or control byte 0x01 at column 38'],
      ],
    );
  });

  it('many inputs, each with other unknown fields, decode one after another', async () => {
    // every input brings new text columns: the decoder's tables must not pile up without bound
    for (let file = 0; file < 40; file++) {
      const header = ['version', 'srcaddr'];
      for (let i = 0; i < 30; i++) header.push(`g${file}x${i}`);
      const record = ['2', '10.1.1.1', ...Array.from({ length: 30 }, (_, i) => `w${i}`)];
      const d = await decode(
        bytesInput(`many-${file}.txt`, Buffer.from(`${header.join(' ')}\n${record.join(' ')}\n`)),
      );
      assert.equal(d.error, undefined, d.error?.message);
      assert.equal(d.rows.length, 1);
      assert.equal(d.rows[0]![`g${file}x29`], 'w29');
    }
  });
});

describe('leading whitespace', () => {
  const records = `${HEADER}\n${line(1)}\n${line(2)}\n`;
  for (const [label, blank] of [
    ['64 KiB of blank lines', '\n'.repeat(65536)],
    ['1 MiB of blank lines', '\n'.repeat(1 << 20)],
    ['3 MiB of spaces, tabs and CRLF lines', ' \t \r\n'.repeat(3 << 18)],
  ] as const) {
    for (const chunk of [4096, 65536, 1 << 20]) {
      it(`${label} before the header (chunks of ${chunk} bytes): every record, at its line`, async () => {
        const bytes = Buffer.from(blank + records);
        const d = await decode(bytesInput('blank-lead.log', bytes, chunk));
        assert.equal(d.error, undefined, d.error?.message);
        assert.equal(d.rows.length, 2);
        assert.equal(d.rows[1]!.srcport, 2);
        const lead = blank.split('\n').length - 1;
        assert.deepEqual(d.positions, [lead + 2, lead + 3]);
      });
    }
  }

  it('a megabyte of blank lines before JSON documents: the documents are read', async () => {
    const doc = JSON.stringify({
      messageType: 'DATA_MESSAGE',
      logGroup: 'g',
      logStream: 's',
      logEvents: [{ id: '1', timestamp: 1, message: line(7) }],
    });
    const d = await decode(bytesInput('blank-json.log', Buffer.from(`${'\n'.repeat(1 << 20)}${doc}\n`)));
    assert.equal(d.error, undefined, d.error?.message);
    assert.equal(d.rows.length, 1);
    assert.equal(d.rows[0]!.srcport, 7);
  });

  it('only whitespace: no records and no error', async () => {
    const d = await decode(bytesInput('blank-only.log', Buffer.from('\n \r\n'.repeat(100000))));
    assert.equal(d.error, undefined);
    assert.equal(d.rows.length, 0);
  });
});

describe('byte-order mark', () => {
  const records = `${HEADER}\n${line(1)}\n${line(2)}\n`;
  for (const chunk of [1, 2, 65536]) {
    it(`a UTF-8 BOM before the header is dropped (chunks of ${chunk} bytes)`, async () => {
      const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(records)]);
      const d = await decode(bytesInput('bom.log', bytes, chunk));
      assert.equal(d.error, undefined, d.error?.message);
      assert.equal(d.stats.malformed, 0);
      assert.deepEqual(
        d.rows.map((r) => r.srcport),
        [1, 2],
      );
      assert.deepEqual(d.positions, [2, 3]);
    });
  }

  it('a BOM inside gzip is dropped too', async () => {
    const bytes = gzipSync(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(records)]));
    const d = await decode(bytesInput('bom.log.gz', bytes));
    assert.equal(d.error, undefined, d.error?.message);
    assert.equal(d.rows.length, 2);
    assert.equal(d.stats.malformed, 0);
  });
});

describe('overlong lines', () => {
  for (const chunk of [65536, 1 << 20, 8 << 20]) {
    it(`a 12 MB line (chunks of ${chunk} bytes): malformed, with a 160-character sample`, async () => {
      const long = `2 123456789010 ${'x'.repeat(12_000_000)}`;
      const bytes = Buffer.from(`${HEADER}\n${line(1)}\n${long}\n${line(3)}\n`);
      const d = await decode(bytesInput('long-line.log', bytes, chunk));
      assert.equal(d.error, undefined, d.error?.message);
      assert.deepEqual(
        d.rows.map((r) => r.srcport),
        [1, 3],
      );
      assert.equal(d.stats.malformed, 1);
      const sample = d.stats.malformedSamples[0]!;
      assert.equal(sample.line, 3);
      assert.equal(sample.sample, long.slice(0, 160));
    });
  }
});

describe('CloudWatch Logs payloads, one JSON document a line', () => {
  const doc = (from: number, n: number): string =>
    JSON.stringify({
      messageType: 'DATA_MESSAGE',
      logGroup: 'g',
      logStream: 's',
      logEvents: Array.from({ length: n }, (_, i) => ({
        id: `${from + i}`,
        timestamp: 1,
        message: line(from + i),
      })),
    });
  for (const [label, cut] of [
    ['inside a string', (d: string) => d.slice(0, d.indexOf('ACCEPT') + 2)],
    ['between values', (d: string) => d.slice(0, d.indexOf('},{') + 1)],
  ] as const) {
    it(`a document cut off ${label}: malformed at its line, the later documents all read`, async () => {
      const lines = [doc(0, 3), cut(doc(100, 3)), doc(200, 3), doc(300, 3)];
      const d = await decode(bytesInput('cut.json', Buffer.from(`${lines.join('\n')}\n`)));
      assert.equal(d.error, undefined, d.error?.message);
      assert.deepEqual(
        d.rows.map((r) => r.srcport),
        [0, 1, 2, 200, 201, 202, 300, 301, 302],
      );
      assert.equal(d.stats.malformed, 1);
      assert.equal(d.stats.malformedSamples[0]!.line, 2);
      assert.match(d.stats.malformedSamples[0]!.message, /cut off/);
    });
  }

  it('a pretty-printed document over several lines is still one document', async () => {
    const pretty = JSON.stringify(JSON.parse(doc(0, 2)), null, 2);
    const d = await decode(bytesInput('pretty.json', Buffer.from(`${pretty}\n${pretty}\n`)));
    assert.equal(d.error, undefined, d.error?.message);
    assert.equal(d.rows.length, 4);
    assert.equal(d.stats.malformed, 0);
  });
});
