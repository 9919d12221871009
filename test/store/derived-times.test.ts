import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { openStoreReader } from '../../src/store/open.js';
import { FlowStore } from '../../src/store/store.js';
import { batchFromLines, storedTypes, tempDir } from './helpers.js';

/** start_time/end_time are computed from start/end when `flows` is read, not stored. */

const tmp = tempDir();
after(() => tmp.cleanup());

const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const LINES = [
  HEADER,
  '2 123456789012 eni-0a1b2c3d4e5f60718 10.0.0.1 10.0.0.2 443 50000 6 10 840 1717200000 1717200060 ACCEPT OK',
  '2 123456789012 eni-0a1b2c3d4e5f60718 - - - - - - - 1717200100 1717200160 - NODATA',
  '2 123456789012 eni-0a1b2c3d4e5f60718 10.0.0.3 10.0.0.4 53 40000 17 1 80 1717203599 1717203600 REJECT OK',
];

async function times(db: string): Promise<Array<[number, string, string]>> {
  const reader = await openStoreReader(db);
  try {
    const r = await reader.con.runAndReadAll(
      `SELECT position, CAST(start_time AS VARCHAR), CAST(end_time AS VARCHAR), typeof(start_time), typeof(end_time)
       FROM flows ORDER BY position`,
    );
    return r.getRowsJS().map((row) => {
      assert.equal(row[3], 'TIMESTAMP');
      assert.equal(row[4], 'TIMESTAMP');
      return [Number(row[0]), String(row[1]), String(row[2])];
    });
  } finally {
    reader.close();
  }
}

async function ingest(db: string, sourceId: string): Promise<void> {
  const store = await FlowStore.open(db);
  try {
    await store.append(batchFromLines(sourceId, LINES));
    await store.commit(sourceId);
  } finally {
    await store.close();
  }
}

const EXPECTED: Array<[number, string, string]> = [
  [2, '2024-06-01 00:00:00', '2024-06-01 00:01:00'],
  [3, '2024-06-01 00:01:40', '2024-06-01 00:02:40'],
  [4, '2024-06-01 00:59:59', '2024-06-01 01:00:00'],
];

describe('start_time and end_time', () => {
  it('are not stored, and flows shows them as the UTC timestamps of start and end', async () => {
    const db = join(tmp.dir, 'fresh.duckdb');
    await ingest(db, 'a.log');
    const types = await storedTypes(db);
    assert.ok(!types.has('start_time') && !types.has('end_time'), [...types.keys()].join(','));
    assert.deepEqual(await times(db), EXPECTED);
    // a re-ingest of the same source takes the staged path: same rows, same times
    await ingest(db, 'a.log');
    assert.deepEqual(await times(db), EXPECTED);
  });

  it('keep the values a store written before holds, and fill in new records', async () => {
    const db = join(tmp.dir, 'old.duckdb');
    await ingest(db, 'a.log');
    // a store of the earlier layout: the columns exist and hold (here deliberately other) values
    const instance = await DuckDBInstance.create(db);
    const con = await instance.connect();
    await con.run('ALTER TABLE flow_records ADD COLUMN start_time TIMESTAMP');
    await con.run('ALTER TABLE flow_records ADD COLUMN end_time TIMESTAMP');
    await con.run(
      `UPDATE flow_records SET start_time = TIMESTAMP '2000-01-01 00:00:00', end_time = TIMESTAMP '2000-01-01 00:00:01'`,
    );
    con.closeSync();
    instance.closeSync();
    await ingest(db, 'b.log');
    const reader = await openStoreReader(db);
    try {
      const r = await reader.con.runAndReadAll(
        `SELECT source, CAST(start_time AS VARCHAR), CAST(end_time AS VARCHAR) FROM flows WHERE position = 2 ORDER BY source`,
      );
      assert.deepEqual(r.getRowsJS(), [
        ['a.log', '2000-01-01 00:00:00', '2000-01-01 00:00:01'],
        ['b.log', '2024-06-01 00:00:00', '2024-06-01 00:01:00'],
      ]);
    } finally {
      reader.close();
    }
  });
});
