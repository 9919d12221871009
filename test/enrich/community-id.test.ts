import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommunityId, communityIdEnricher } from '../../src/enrich/community-id.js';
import { makeBatch } from './make-batch.js';

/** The published Community ID v1 test vectors (community-id-spec baseline). */
const VECTORS: readonly [
  seed: number,
  src: string,
  dst: string,
  proto: number,
  sp: number,
  dp: number,
  id: string,
][] = [
  [0, '1.2.3.4', '5.6.7.8', 6, 1122, 3344, '1:wCb3OG7yAFWelaUydu0D+125CLM='],
  [0, '1.2.3.4', '5.6.7.8', 17, 1122, 3344, '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg='],
  [0, '1.2.3.4', '5.6.7.8', 1, 8, 0, '1:crodRHL2FEsHjbv3UkRrfbs4bZ0='],
  [
    0,
    'fe80:0001:0203:0405:0607:0809:0A0B:0C0D',
    'fe80:1011:1213:1415:1617:1819:1A1B:1C1D',
    58,
    128,
    0,
    '1:0bf7hyMJUwt3fMED7z8LIfRpBeo=',
  ],
  [1, '1.2.3.4', '5.6.7.8', 6, 1122, 3344, '1:HhA1B+6CoLbiKPEs5nhNYN4XWfk='],
  [1, '1.2.3.4', '5.6.7.8', 17, 1122, 3344, '1:OShq+iKDAMVouh/4bMxB9Sz4amw='],
  [1, '1.2.3.4', '5.6.7.8', 1, 8, 0, '1:9pr4ZGTICiuZoIh90RRYE2RyXpU='],
  [
    1,
    'fe80:0001:0203:0405:0607:0809:0A0B:0C0D',
    'fe80:1011:1213:1415:1617:1819:1A1B:1C1D',
    58,
    128,
    0,
    '1:IO27GQzPuCtNnwFvjWALMHu5tJE=',
  ],
];

for (const [seed, src, dst, proto, sp, dp, id] of VECTORS) {
  test(`community id seed ${seed} proto ${proto} ${src} -> ${dst}`, () => {
    const cid = new CommunityId(seed);
    assert.equal(cid.of(src, dst, proto, sp, dp), id);
  });
}

test('both directions of a flow share one id (ports swap; ICMP echo reply pairs with the request)', () => {
  const cid = new CommunityId(0);
  assert.equal(cid.of('5.6.7.8', '1.2.3.4', 6, 3344, 1122), '1:wCb3OG7yAFWelaUydu0D+125CLM=');
  assert.equal(cid.of('5.6.7.8', '1.2.3.4', 17, 3344, 1122), '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=');
  assert.equal(cid.of('5.6.7.8', '1.2.3.4', 1, 0, 0), '1:crodRHL2FEsHjbv3UkRrfbs4bZ0=');
  assert.equal(
    cid.of('fe80:1011:1213:1415:1617:1819:1a1b:1c1d', 'fe80:1:203:405:607:809:a0b:c0d', 58, 129, 0),
    '1:0bf7hyMJUwt3fMED7z8LIfRpBeo=',
  );
});

test('no id for unparsable addresses or mixed families', () => {
  const cid = new CommunityId(0);
  assert.equal(cid.of('unknown', '5.6.7.8', 6, 1, 2), null);
  assert.equal(cid.of('1.2.3.4', '::1', 6, 1, 2), null);
  assert.throws(() => new CommunityId(70000), /seed/);
});

test('the enricher hashes the packet addresses when present, nothing for NODATA', () => {
  const batch = makeBatch('srcaddr dstaddr srcport dstport protocol pkt-srcaddr pkt-dstaddr log-status', [
    '10.0.0.9 10.0.0.7 1122 3344 6 1.2.3.4 5.6.7.8 OK',
    '5.6.7.8 1.2.3.4 3344 1122 6 - - OK',
    '- - - - - - - NODATA',
  ]);
  communityIdEnricher(0).enrich(batch);
  assert.equal(batch.str('community_id', 0), '1:wCb3OG7yAFWelaUydu0D+125CLM=');
  assert.equal(batch.str('community_id', 1), '1:wCb3OG7yAFWelaUydu0D+125CLM=');
  assert.equal(batch.str('community_id', 2), null);
});
