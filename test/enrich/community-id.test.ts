import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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

/** A seeded xorshift32: the same flows on every run. */
function prng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

const REF_ICMP4: Record<number, number> = {
  8: 0,
  0: 8,
  13: 14,
  14: 13,
  15: 16,
  16: 15,
  10: 9,
  9: 10,
  17: 18,
  18: 17,
};
const REF_ICMP6: Record<number, number> = {
  128: 129,
  129: 128,
  133: 134,
  134: 133,
  135: 136,
  136: 135,
  130: 131,
  131: 130,
  139: 140,
  140: 139,
  144: 145,
  145: 144,
  146: 147,
  147: 146,
};

/** The spec's computation, spelled out with Buffers and node:crypto, from address bytes. */
function referenceId(seed: number, src: Buffer, dst: Buffer, proto: number, sp: number, dp: number): string {
  let oneWay = false;
  if (proto === 1 || proto === 58) {
    const pair = (proto === 1 ? REF_ICMP4 : REF_ICMP6)[sp];
    if (pair === undefined) oneWay = true;
    else dp = pair;
  }
  let [a, b] = [src, dst];
  if (!oneWay) {
    const c = Buffer.compare(src, dst);
    if (c > 0 || (c === 0 && sp > dp)) {
      [a, b] = [dst, src];
      [sp, dp] = [dp, sp];
    }
  }
  const withPorts = [1, 6, 17, 58, 132].includes(proto);
  const parts = [Buffer.from([seed >> 8, seed & 255]), a, b, Buffer.from([proto, 0])];
  if (withPorts) parts.push(Buffer.from([sp >> 8, sp & 255, dp >> 8, dp & 255]));
  return `1:${createHash('sha1').update(Buffer.concat(parts)).digest('base64')}`;
}

function formatAddress(bytes: Buffer): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups = Array.from({ length: 8 }, (_, k) => bytes.readUInt16BE(2 * k).toString(16));
  // Compress the first run of two or more zero groups, as most writers do.
  const text = groups.join(':');
  const run = /(^|:)0(:0)+(:|$)/.exec(text);
  return run ? `${text.slice(0, run.index)}::${text.slice(run.index + run[0].length)}` : text;
}

test('the enricher agrees with a node:crypto reference on 4,000 random flows (IPv4, IPv6, ICMP, no ports)', () => {
  const next = prng(42);
  // A small pool of addresses so that flows share endpoints, meet their own reverse and compare equal.
  const pool: Buffer[] = [];
  for (let k = 0; k < 40; k++) {
    const v6 = k % 3 === 0;
    const bytes = Buffer.alloc(v6 ? 16 : 4);
    for (let j = 0; j < bytes.length; j++) bytes[j] = next() & 255;
    if (v6 && k % 2 === 0) bytes.fill(0, 4, 12); // zero runs exercise '::'
    // Many share a /64 (or a first word), so ordering has to look past the first word.
    if (v6 && k % 4 === 1) Buffer.from('20010db800010002', 'hex').copy(bytes);
    if (v6 && k % 4 === 3) Buffer.from('fd00aaaa', 'hex').copy(bytes);
    pool.push(bytes);
  }
  const protocols = [6, 17, 1, 58, 132, 47, 50];
  for (const seed of [0, 1, 0xbeef]) {
    const lines: string[] = [];
    const flows: [Buffer, Buffer, number, number, number][] = [];
    for (let i = 0; i < 4000; i++) {
      const src = pool[next() % pool.length]!;
      // Same family for most flows; some cross families (no id).
      const dst =
        next() % 20 === 0
          ? pool[next() % pool.length]!
          : pool[(next() % 13) * 3 + (src.length === 16 ? 0 : 1)]!;
      const proto = protocols[next() % protocols.length]!;
      const icmp = proto === 1 || proto === 58;
      const sp = icmp
        ? [0, 8, 3, 128, 129, 135, 136, 200][next() % 8]!
        : next() % 3 === 0
          ? 443
          : next() & 0xffff;
      const dp = icmp ? next() % 4 : next() % 3 === 0 ? 443 : next() & 0xffff;
      lines.push(`${formatAddress(src)} ${formatAddress(dst)} ${sp} ${dp} ${proto}`);
      flows.push([src, dst, proto, sp, dp]);
    }
    const batch = makeBatch('srcaddr dstaddr srcport dstport protocol', lines);
    communityIdEnricher(seed).enrich(batch);
    let withId = 0;
    for (const [i, [src, dst, proto, sp, dp]] of flows.entries()) {
      const expected = src.length === dst.length ? referenceId(seed, src, dst, proto, sp, dp) : null;
      assert.equal(batch.str('community_id', i), expected, `seed ${seed}, line ${lines[i]}`);
      if (expected) withId++;
    }
    assert.ok(withId > 3000, `most flows have an id (${withId})`);
  }
});
