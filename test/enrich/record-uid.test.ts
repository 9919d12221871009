import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { recordUid, recordUidEnricher } from '../../src/enrich/record-uid.js';
import { makeBatch } from './make-batch.js';

const sha1Prefix = (s: string): string => createHash('sha1').update(s).digest('hex').slice(0, 16);

test('record_uid = 64 bits of SHA-1(source id) + the position in hex', () => {
  const batch = makeBatch('version', ['2', '2'], { id: 's3://bucket/a.log.gz' });
  recordUidEnricher().enrich(batch);
  const prefix = sha1Prefix('s3://bucket/a.log.gz');
  assert.equal(batch.str('record_uid', 0), `${prefix}0000000000000002`);
  assert.equal(batch.str('record_uid', 1), `${prefix}0000000000000003`);
  assert.equal(recordUid('s3://bucket/a.log.gz', 2), `${prefix}0000000000000002`);
  assert.equal(recordUid('x', 2 ** 40 + 255).slice(16), '00000100000000ff');
});

test('record_uid is the same on every run and differs across sources and positions', () => {
  const run = (id: string): string[] => {
    const b = makeBatch('version', ['2', '2', '2'], { id });
    recordUidEnricher().enrich(b);
    return [0, 1, 2].map((i) => b.str('record_uid', i)!);
  };
  assert.deepEqual(run('a.log'), run('a.log'));
  const all = new Set([...run('a.log'), ...run('b.log')]);
  assert.equal(all.size, 6);
  for (const uid of all) assert.match(uid, /^[0-9a-f]{32}$/);
});

test('record_uid uses source-native ids (CloudWatch event ids) when the batch has them', () => {
  const ids = [
    '36948230847294857293847592834759283475928347592834759283',
    '36948230847294857293847592834759283475928347592834759284',
  ];
  const batch = makeBatch('version', ['2', '2'], { id: 'cwl:/vpc/flow/eni-1' }, ids);
  recordUidEnricher().enrich(batch);
  assert.equal(batch.str('record_uid', 0), sha1Prefix('cwl:/vpc/flow/eni-1') + sha1Prefix(ids[0]!));
  assert.equal(batch.str('record_uid', 1), sha1Prefix('cwl:/vpc/flow/eni-1') + sha1Prefix(ids[1]!));
});

test('the batch enricher gives recordUid() for every kind of position, with and without native ids', () => {
  const positions = [
    0,
    1,
    2,
    255,
    65536,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 40 + 255,
    2 ** 53 - 1,
    7.5,
    -3,
    Number.NaN,
  ];
  const n = positions.length * 3;
  const batch = makeBatch(
    'version',
    Array.from({ length: n }, () => '2'),
    { id: 's3://b/k.gz' },
  );
  for (let i = 0; i < n; i++)
    batch.positions[i] = positions[i % positions.length]! + Math.floor(i / positions.length);
  recordUidEnricher().enrich(batch);
  for (let i = 0; i < n; i++) {
    assert.equal(
      batch.str('record_uid', i),
      recordUid('s3://b/k.gz', batch.positions[i]!),
      `position ${batch.positions[i]}`,
    );
  }
  assert.equal(batch.str('record_uid', 7), `${sha1Prefix('s3://b/k.gz')}00000100000000ff`);
  // A second, smaller batch reuses the enricher's buffer without leaking the first batch's bytes.
  const ids = ['a', '', 'c'];
  const cwl = makeBatch('version', ['2', '2', '2'], { id: 'cwl:/g/s' }, ids);
  const enricher = recordUidEnricher();
  enricher.enrich(batch);
  enricher.enrich(cwl);
  assert.deepEqual(
    [0, 1, 2].map((i) => cwl.str('record_uid', i)),
    [recordUid('cwl:/g/s', 2, 'a'), recordUid('cwl:/g/s', 3), recordUid('cwl:/g/s', 4, 'c')],
  );
});
