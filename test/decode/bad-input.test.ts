import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { MAX_LINE_BYTES } from '../../src/decode/errors.js';
import { bytesInput, decode, decodeFixture, fixtureBytes } from './helpers.js';

const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const line = (i: number): string =>
  `2 123456789010 eni-1235b8ca123456789 10.0.0.${i % 250} 172.31.16.21 ${i} 443 6 20 4249 1418530010 1418530070 ACCEPT OK`;

describe('bad input', () => {
  it('truncated gzip: every record before the damage, then an error naming the file and offset', async () => {
    const lines = [HEADER];
    for (let i = 0; i < 20000; i++) lines.push(line(i));
    const gz = gzipSync(lines.join('\n') + '\n');
    const cut = gz.subarray(0, Math.floor(gz.length / 2));
    const d = await decode(bytesInput('cut.log.gz', cut, 4096));
    assert.ok(d.error, 'the decode fails');
    assert.match(d.error.message, /^cut\.log\.gz: gzip stream cut off at compressed byte \d+$/);
    assert.equal((d.error as Error & { offset?: number }).offset, cut.length);
    assert.ok(d.rows.length > 1000, `records before the damage were yielded (${d.rows.length})`);
    // Exactly the leading records, in order, none invented or skipped.
    for (const [i, r] of d.rows.entries()) assert.equal(r.srcport, i);
    assert.equal(d.stats.records, d.rows.length);
    assert.equal(d.stats.malformed, 0, 'the cut-off partial line is reported by the error, not as malformed');
  });

  it('corrupt gzip bytes: an error with the compressed offset', async () => {
    const lines = [HEADER];
    for (let i = 0; i < 5000; i++) lines.push(line(i));
    const gz = Buffer.from(gzipSync(lines.join('\n') + '\n'));
    for (let i = 2000; i < 2100; i++) gz[i] = 0xff;
    const d = await decode(bytesInput('bad.log.gz', gz, 512));
    assert.ok(d.error);
    assert.match(
      d.error.message,
      /^bad\.log\.gz: gzip stream damaged \(.+\) at compressed byte \d+; the \d+ bytes inflated just before it were not decoded$/,
    );
    const offset = (d.error as Error & { offset?: number }).offset;
    assert.ok(typeof offset === 'number' && offset >= 2000 && offset <= gz.length, `offset ${offset}`);
    // gzip checks its CRC only at the end of a member: the text inflated before the damage is
    // held back (this member is smaller than that), so no record of it reaches a sink
    assert.equal(d.rows.length, 0);
  });

  it('wrong field count and non-numeric values: counted with line numbers, the rest decoded', async () => {
    const d = await decodeFixture('bad-lines.log');
    assert.equal(d.error, undefined);
    assert.equal(d.rows.length, 2);
    assert.deepEqual(d.positions, [2, 6]);
    assert.equal(d.stats.malformed, 3);
    const src = d.stats.malformedSamples[0]!.source;
    assert.ok(src.endsWith('bad-lines.log'));
    assert.deepEqual(
      d.stats.malformedSamples.map((p) => [p.line, p.message]),
      [
        [3, 'expected 14 fields (header on line 1), got 13 fields'],
        [4, 'field protocol: "tcp" is not a number'],
        [5, 'expected 14 fields (header on line 1), got 15 fields'],
      ],
    );
    assert.ok(d.stats.malformedSamples[1]!.sample!.startsWith('2 123456789010 eni-1235b8ca123456789'));
  });

  it('junk bytes: lines with control or binary bytes are malformed, good lines still decoded', async () => {
    const d = await decodeFixture('junk-lines.log');
    assert.equal(d.error, undefined);
    assert.equal(d.rows.length, 2);
    assert.deepEqual(d.positions, [1, 4]);
    assert.equal(d.stats.malformed, 2);
    const [first, second] = d.stats.malformedSamples;
    assert.deepEqual([first!.line, first!.message], [2, 'binary or control byte 0x00 at column 7']);
    assert.equal(second!.line, 3);
    assert.match(second!.message, /^field version: ".+" is not a number$/);
  });

  it(`over-long line (> ${MAX_LINE_BYTES} bytes): malformed, inside one chunk or across many`, async () => {
    const long = `2 123456789010 eni-${'a'.repeat(MAX_LINE_BYTES + 10)} 1 2 3 4 5 6 7 8 9 ACCEPT OK`;
    const text = Buffer.from([line(0), long, line(2)].join('\n') + '\n');
    for (const chunk of [1 << 20, 1000]) {
      const d = await decode(bytesInput('long.log', text, chunk));
      assert.equal(d.rows.length, 2, `chunk ${chunk}`);
      assert.deepEqual(d.positions, [1, 3]);
      assert.equal(d.stats.malformed, 1);
      assert.equal(d.stats.malformedSamples[0]!.line, 2);
      assert.equal(d.stats.malformedSamples[0]!.message, `line longer than ${MAX_LINE_BYTES} bytes`);
      assert.ok(d.stats.malformedSamples[0]!.sample!.length <= 160);
    }
  });

  it('wrong header: records that do not match it are malformed, naming the header', async () => {
    const d = await decodeFixture('wrong-header.log');
    assert.equal(d.rows.length, 0);
    assert.equal(d.stats.malformed, 1);
    assert.equal(d.stats.malformedSamples[0]!.message, 'expected 7 fields (header on line 1), got 14 fields');
  });

  it('a header naming a field twice fails the input with a clear error', async () => {
    const d = await decodeFixture('duplicate-header.log');
    assert.ok(d.error);
    assert.match(d.error.message, /duplicate-header\.log: header on line 1: field "srcaddr" appears twice$/);
    assert.equal(d.rows.length, 0);
  });

  it('an unknown header field is kept as a text column, with one warning', async () => {
    const d = await decodeFixture('unknown-field.log');
    assert.equal(d.error, undefined);
    assert.deepEqual(
      d.rows.map((r) => r.flow_color),
      ['blue', null],
    );
    assert.equal(d.stats.warnings.length, 1);
    assert.match(
      d.stats.warnings[0]!,
      /unknown-field\.log: header on line 1: unknown field "flow-color" kept as text$/,
    );
  });

  it('binary content that is neither gzip nor Parquet is refused at once', async () => {
    const junk = Buffer.alloc(4096);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 37) & 0xff;
    const d = await decode(bytesInput('blob.bin', junk));
    assert.ok(d.error);
    assert.equal(d.error.message, 'blob.bin: not flow logs: binary content that is neither gzip nor Parquet');
    assert.equal(d.rows.length, 0);
  });

  it('a truncated gzip inside the first chunk still names the offset', async () => {
    const gz = gzipSync(fixtureBytes('v2.log'));
    const d = await decode(bytesInput('tiny.gz', gz.subarray(0, 20)));
    assert.ok(d.error);
    assert.match(d.error.message, /^tiny\.gz: gzip stream cut off at compressed byte 20$/);
  });
});
