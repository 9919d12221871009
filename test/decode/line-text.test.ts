import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { FlowBatch } from '../../src/batch/flow-batch.js';
import { RunStats } from '../../src/core/stats.js';
import { decodeInput } from '../../src/decode/detect.js';
import { bytesInput, decode, decodeFixture, fixtureBytes } from './helpers.js';

/**
 * The text decoder keeps each record's original line (`batch.text`), copied per run of lines:
 * `batch.line(i)` must be exactly the line as written (without surrounding blanks, CR or
 * newline), whatever the chunking, and a batch without the text must rebuild the same line
 * for regular input.
 */

/** The record lines of a text: non-blank, trimmed, header and malformed lines left out by the caller. */
const linesOf = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.replace(/^[ \t\r]+|[ \t\r]+$/g, ''))
    .filter((l) => l !== '');

/** The same batch without its original lines: what Parquet or a hand-built batch gives. */
const withoutText = (b: FlowBatch): FlowBatch =>
  new FlowBatch(b.fields, b.columns, b.length, b.source, b.positions);

function allLines(batches: readonly FlowBatch[]): string[] {
  return batches.flatMap((b) => Array.from({ length: b.length }, (_, i) => b.line(i)));
}

describe('text decoder: original lines', () => {
  it('keeps every record line of a file, equal to the rebuilt line for regular input', async () => {
    const d = await decodeFixture('v5.log');
    assert.equal(d.error, undefined);
    const expected = linesOf(fixtureBytes('v5.log').toString('utf8')).slice(1);
    for (const b of d.batches) assert.ok(b.text, 'decoded batches carry their lines');
    assert.deepEqual(allLines(d.batches), expected);
    assert.deepEqual(allLines(d.batches.map(withoutText)), expected);
  });

  it('lines are right across every chunk boundary, batch boundary and gzip member', async () => {
    const header =
      'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
    const records = Array.from(
      { length: 57 },
      (_, i) =>
        `2 123456789010 eni-${i % 5} 10.0.${i}.1 10.0.0.${i % 7} ${1000 + i} 443 6 ${i} ${i * 100} 1620000000 1620000060 ${i % 3 ? 'ACCEPT' : 'REJECT'} OK`,
    );
    const text = `${header}\n${records.join('\n')}\n`;
    for (const chunk of [1, 7, 64, 100_000]) {
      for (const batchSize of [1, 5, 1000]) {
        const plain = await decode(bytesInput('x.log', Buffer.from(text), chunk), { batchSize });
        assert.deepEqual(allLines(plain.batches), records, `chunk ${chunk} batch ${batchSize}`);
      }
    }
    const gz = gzipSync(Buffer.from(text));
    const zipped = await decode(bytesInput('x.log.gz', gz, 13), { batchSize: 10 });
    assert.deepEqual(allLines(zipped.batches), records);
  });

  it('CRLF endings and surrounding blanks are not part of the line', async () => {
    const d = await decodeFixture('v2-crlf.log');
    assert.equal(d.error, undefined);
    const expected = linesOf(fixtureBytes('v2-crlf.log').toString('utf8')).slice(1);
    assert.deepEqual(allLines(d.batches), expected);
    for (const line of allLines(d.batches)) assert.doesNotMatch(line, /\r|\n/);
    const padded = await decode(
      bytesInput(
        'p.log',
        Buffer.from('version srcaddr action\n  2 10.0.0.1 ACCEPT \t\r\n\n\t2 10.0.0.2 REJECT'),
      ),
    );
    assert.deepEqual(allLines(padded.batches), ['2 10.0.0.1 ACCEPT', '2 10.0.0.2 REJECT']);
  });

  it('irregular blanks inside a line are kept: the original line is what was written', async () => {
    const d = await decode(bytesInput('t.log', Buffer.from('version srcaddr action\n2\t10.0.0.1  ACCEPT\n')));
    assert.equal(d.rows.length, 1);
    assert.equal(d.batches[0]!.line(0), '2\t10.0.0.1  ACCEPT');
    assert.equal(withoutText(d.batches[0]!).line(0), '2 10.0.0.1 ACCEPT');
  });

  it('malformed, blank and header lines are skipped; lines after them line up with their rows', async () => {
    const d = await decodeFixture('bad-lines.log');
    const batches = d.batches;
    assert.ok(d.rows.length > 0);
    // every kept line decodes to its own row: re-parse it with the rebuilt line of the same row
    for (const b of batches) {
      for (let i = 0; i < b.length; i++) {
        assert.equal(
          b
            .line(i)
            .split(/[ \t]+/)
            .join(' '),
          withoutText(b).line(i),
          `row ${b.positions[i]}`,
        );
      }
    }
    const junk = 'x'.repeat(5000);
    const text = `version srcaddr action\n2 10.0.0.1 ACCEPT\n${junk}\n${junk}\n2 10.0.0.2 REJECT\nversion dstaddr action\n2 10.9.9.9 ACCEPT\n`;
    const j = await decode(bytesInput('j.log', Buffer.from(text), 4096));
    assert.deepEqual(allLines(j.batches), ['2 10.0.0.1 ACCEPT', '2 10.0.0.2 REJECT', '2 10.9.9.9 ACCEPT']);
    assert.equal(j.stats.malformed, 2);
    // the skipped junk is not copied with the lines
    const kept = j.batches.reduce((n, b) => n + b.text!.bytes.length, 0);
    assert.ok(kept < 200, `${kept} bytes kept for three short lines`);
  });

  it('non-UTF-8 bytes: line() decodes them as the columns do (replacement characters)', async () => {
    const bytes = Buffer.concat([
      Buffer.from('version interface-id action\n2 eni-'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(' ACCEPT\n'),
    ]);
    const d = await decode(bytesInput('u.log', bytes));
    assert.equal(d.batches[0]!.line(0), withoutText(d.batches[0]!).line(0));
  });

  it('CloudWatch events keep their message as the line', async () => {
    const payload = JSON.stringify({
      messageType: 'DATA_MESSAGE',
      owner: '123456789010',
      logGroup: 'g',
      logStream: 's',
      subscriptionFilters: ['f'],
      logEvents: [
        {
          id: '1',
          timestamp: 1,
          message: '2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1620000000 1620000060 ACCEPT OK',
        },
        {
          id: '2',
          timestamp: 1,
          message: '2 123456789010 eni-1 10.0.0.2 10.0.0.1 2 1 6 1 40 1620000000 1620000060 REJECT OK',
        },
      ],
    });
    const stats = new RunStats();
    const lines: string[] = [];
    for await (const b of decodeInput(bytesInput('cw.json.gz', gzipSync(payload)), { stats })) {
      assert.ok(b.text);
      for (let i = 0; i < b.length; i++) lines.push(b.line(i));
    }
    assert.deepEqual(lines, [
      '2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1620000000 1620000060 ACCEPT OK',
      '2 123456789010 eni-1 10.0.0.2 10.0.0.1 2 1 6 1 40 1620000000 1620000060 REJECT OK',
    ]);
  });
});
