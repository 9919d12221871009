import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { fileInput } from '../../src/sources/files.js';
import { bytesInput, decode } from './helpers.js';

/** A small Parquet file laid out as AWS writes flow logs: underscore names, INT32/INT64/STRING, GZIP pages. */
function awsParquet(rows: number): Buffer {
  const idx = Array.from({ length: rows }, (_, i) => i);
  const nodata = (i: number) => i % 10 === 9;
  const buf = parquetWriteBuffer({
    codec: 'GZIP',
    compressors: { GZIP: (input: Uint8Array) => gzipSync(input) },
    rowGroupSize: 1000,
    columnData: [
      { name: 'version', data: idx.map(() => 5), type: 'INT32' },
      { name: 'account_id', data: idx.map(() => '123456789010'), type: 'STRING' },
      {
        name: 'interface_id',
        data: idx.map((i) => `eni-${String(i % 3).padStart(17, '0')}`),
        type: 'STRING',
      },
      { name: 'srcaddr', data: idx.map((i) => (nodata(i) ? '-' : `10.0.0.${i % 250}`)), type: 'STRING' },
      { name: 'dstaddr', data: idx.map((i) => (nodata(i) ? null : '172.31.16.21')), type: 'STRING' },
      { name: 'srcport', data: idx.map((i) => (nodata(i) ? null : i % 65536)), type: 'INT32' },
      { name: 'packets', data: idx.map((i) => (nodata(i) ? null : BigInt(i * 3))), type: 'INT64' },
      { name: 'start', data: idx.map(() => 1418530010n), type: 'INT64' },
      { name: 'log_status', data: idx.map((i) => (nodata(i) ? 'NODATA' : 'OK')), type: 'STRING' },
      { name: 'flow_direction', data: idx.map((i) => (i % 2 ? 'ingress' : 'egress')), type: 'STRING' },
      { name: 'traffic_path', data: idx.map((i) => (i % 2 ? null : 1)), type: 'INT32' },
    ],
  });
  return Buffer.from(buf);
}

describe('Parquet', () => {
  let dir: string;
  let path: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flowlens-parquet-test-'));
    path = join(dir, 'flows.log.parquet');
    writeFileSync(path, awsParquet(2500));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const check = (d: Awaited<ReturnType<typeof decode>>): void => {
    assert.equal(d.error, undefined);
    assert.equal(d.rows.length, 2500);
    assert.deepEqual(d.rows[0], {
      version: 5,
      account_id: '123456789010',
      interface_id: 'eni-00000000000000000',
      srcaddr: '10.0.0.0',
      dstaddr: '172.31.16.21',
      srcport: 0,
      packets: 0,
      start: 1418530010,
      log_status: 'OK',
      flow_direction: 'egress',
      traffic_path: 1,
    });
    const r = d.rows[1239]!;
    assert.equal(r.srcaddr, null, '"-" is null');
    assert.equal(r.dstaddr, null, 'null is null');
    assert.equal(r.srcport, null);
    assert.equal(r.packets, null);
    assert.equal(r.log_status, 'NODATA');
    assert.equal(d.rows[2498]!.packets, 2498 * 3);
    assert.equal(d.rows[2498]!.traffic_path, 1);
    assert.equal(d.stats.nodata, 250);
    assert.equal(d.stats.records, 2500);
    assert.equal(d.positions[2499], 2500);
  };

  it('reads a file by range, in batches', async () => {
    const d = await decode(fileInput(path), { batchSize: 700 });
    check(d);
    assert.ok(d.batches.every((b) => b.length <= 700));
  });

  it('reads an unseekable stream (stdin) via a temporary file', async () => {
    const bytes = readFileSync(path);
    const input = bytesInput('-', bytes, 4096);
    const d = await decode({ ref: input.ref, open: input.open });
    check(d);
  });

  it('fails clearly on a damaged Parquet file', async () => {
    const bytes = readFileSync(path);
    const broken = Buffer.concat([bytes.subarray(0, 4), Buffer.alloc(200, 7)]);
    const d = await decode(bytesInput('broken.parquet', broken));
    assert.ok(d.error);
    assert.match(d.error.message, /^broken\.parquet: not a readable Parquet file \(.+\)$/);
  });
});

describe('Parquet: string columns and field domains', () => {
  /** As flowlogs-reader's tests/data/flows.parquet: numbers written as strings, `-` for none. */
  const stringly = (): Buffer =>
    Buffer.from(
      parquetWriteBuffer({
        columnData: [
          { name: 'version', data: [2, 2, 2, 2], type: 'INT32' },
          { name: 'srcaddr', data: ['198.51.100.1', '-', 'notanip', '198.51.100.7'], type: 'STRING' },
          { name: 'srcport', data: ['443', '-', '80', '80'], type: 'STRING' },
          { name: 'protocol', data: ['6', '-', '6', '8080'], type: 'STRING' },
          {
            name: 'start',
            data: ['1439387263', '1439387263000', '1439387263', '1439387263'],
            type: 'STRING',
          },
          { name: 'action', data: ['ACCEPT', '-', 'ACCEPT', 'ACCEPT'], type: 'STRING' },
          { name: 'log_status', data: ['OK', 'NODATA', 'OK', 'OK'], type: 'STRING' },
        ],
      }),
    );

  it('`-` in a string column of a number field is null, with no warning', async () => {
    const d = await decode(bytesInput('stringly.parquet', stringly()));
    assert.equal(d.error, undefined);
    assert.deepEqual(d.stats.warnings, []);
    assert.equal(d.rows[1]!.srcport, null);
    assert.equal(d.rows[1]!.protocol, null);
    assert.equal(d.rows[1]!.srcaddr, null);
    // a time in milliseconds is read as seconds, as in text
    assert.equal(d.rows[1]!.start, 1439387263);
  });

  it('a row with a value outside its field is malformed, named by row and field', async () => {
    const d = await decode(bytesInput('stringly.parquet', stringly()));
    assert.deepEqual(d.positions, [1, 2]);
    assert.deepEqual(
      d.stats.malformedSamples.map((m) => [m.line, m.message]),
      [
        [3, 'row: field srcaddr: "notanip" is not an IP address'],
        [4, 'row: field protocol: "8080" is out of range (0 to 255)'],
      ],
    );
    assert.equal(d.stats.records, 2);
    assert.equal(d.stats.malformed, 2);
  });
});
