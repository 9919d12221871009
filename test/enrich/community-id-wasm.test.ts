import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { communityIdEnricher } from '../../src/enrich/community-id.js';
import { CommunityIdKernel } from '../../src/enrich/community-id-wasm.js';
import { makeBatch } from './make-batch.js';

/**
 * The WebAssembly Community ID kernel (asm/community-id.ts) against the JavaScript path
 * (FLOWLENS_WASM=0): the same ids and the same digests, row for row, including the odd inputs
 * a decoder can hand over (missing or out-of-range ports, fractional numbers, unknown
 * protocols, text that is no address, mixed families).
 */

function withWasm<T>(on: boolean, make: () => T): T {
  const before = process.env.FLOWLENS_WASM;
  if (!on) process.env.FLOWLENS_WASM = '0';
  try {
    return make();
  } finally {
    if (before === undefined) delete process.env.FLOWLENS_WASM;
    else process.env.FLOWLENS_WASM = before;
  }
}

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

const HEADER = 'srcaddr dstaddr srcport dstport protocol pkt-srcaddr pkt-dstaddr log-status';

/** Record lines mixing common flows with every odd case, from a small address pool. */
function flowLines(count: number, seed: number): string[] {
  const next = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[next() % list.length]!;
  const v4 = ['10.0.0.1', '10.0.0.2', '52.94.76.10', '8.8.8.8', '0.0.0.0', '255.255.255.255', '1.2.3.4'];
  const v6 = [
    '2001:db8::1',
    '2001:db8::2',
    'fe80::1',
    '::',
    '::ffff:10.0.0.1',
    'fd00:aaaa::1',
    '2001:db8:0:1::1',
    'fe80:1011:1213:1415:1617:1819:1a1b:1c1d',
  ];
  const other = ['unknown', '1.2.3', '-'];
  const ports = ['443', '80', '0', '65535', '-', '-1', '70000', '1.5', '1e20', '8', '128', '129', '135'];
  const protos = ['6', '17', '1', '58', '132', '47', '50', '0', '255', '-', '256', '-1', '6.5'];
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const family = next() % 10;
    const pool = family < 6 ? v4 : family < 9 ? v6 : other;
    // Mostly one family per flow; now and then the other one (no id).
    const src = pick(pool);
    const dst = next() % 15 === 0 ? pick([...v4, ...v6]) : pick(pool);
    const icmp = next() % 5 === 0;
    const proto = icmp ? pick(['1', '58']) : pick(protos);
    const sp = icmp ? String(next() % 260) : next() % 3 === 0 ? pick(ports) : String(next() & 0xffff);
    const dp = icmp ? pick(['0', '1', '3', '-']) : next() % 3 === 0 ? pick(ports) : String(next() & 0xffff);
    const pkt = next() % 8 === 0;
    const status = next() % 40 === 0 ? 'NODATA' : 'OK';
    lines.push(
      `${src} ${dst} ${sp} ${dp} ${proto} ${pkt ? pick(v4) : '-'} ${pkt ? pick(v4) : '-'} ${status}`,
    );
  }
  return lines;
}

/** Row i's id and digest words, or null. */
function idsAndDigests(batch: FlowBatch): (string | null)[] {
  const col = batch.extra.get('community_id');
  assert.ok(col?.kind === 'str');
  const digests = col.digests;
  assert.ok(digests, 'the column carries its digests');
  const out: (string | null)[] = [];
  for (let i = 0; i < batch.length; i++) {
    const code = col.codes[i]!;
    if (code === 0) {
      out.push(null);
      continue;
    }
    const words = Array.from(digests.subarray(5 * code, 5 * code + 5), (w) => w.toString(16));
    out.push(`${col.dict[code]} ${words.join(',')}`);
  }
  return out;
}

test('the WebAssembly kernel is built and used (else the comparisons below compare JavaScript with itself)', () => {
  const table = new Int16Array(256).fill(-1);
  assert.ok(CommunityIdKernel.create(table, table), 'dist/wasm/community-id.wasm (npm run build)');
  assert.equal(
    withWasm(false, () => CommunityIdKernel.create(table, table)),
    null,
  );
});

for (const seed of [0, 1, 0xbeef, 65535]) {
  test(`WebAssembly and JavaScript give the same ids and digests (seed ${seed})`, () => {
    const lines = flowLines(3001, seed + 7);
    const wasmBatch = makeBatch(HEADER, lines);
    const jsBatch = makeBatch(HEADER, lines);
    communityIdEnricher(seed).enrich(wasmBatch);
    withWasm(false, () => communityIdEnricher(seed)).enrich(jsBatch);
    const fromWasm = idsAndDigests(wasmBatch);
    const fromJs = idsAndDigests(jsBatch);
    for (let i = 0; i < lines.length; i++) assert.equal(fromWasm[i], fromJs[i], `line ${lines[i]}`);
    const withId = fromJs.filter((v) => v !== null).length;
    assert.ok(withId > 1000 && withId < lines.length, `a mix of rows with and without an id (${withId})`);
  });
}

test('one kernel over batches of every size, large then small (its memory is reused), agrees with JavaScript', () => {
  const wasm = communityIdEnricher(3);
  const js = withWasm(false, () => communityIdEnricher(3));
  for (const [k, size] of [9000, 1, 2, 3, 4, 5, 7, 8, 9, 4097, 0, 16].entries()) {
    const lines = flowLines(size, 100 + k);
    const a = makeBatch(HEADER, lines);
    const b = makeBatch(HEADER, lines);
    wasm.enrich(a);
    js.enrich(b);
    assert.deepEqual(idsAndDigests(a), idsAndDigests(b), `batch of ${size}`);
  }
});

test('a batch without port columns hashes ports as absent on both paths', () => {
  const lines = [
    '1.2.3.4 5.6.7.8 6',
    '5.6.7.8 1.2.3.4 17',
    '2001:db8::1 2001:db8::2 1',
    '1.2.3.4 5.6.7.8 47',
  ];
  const a = makeBatch('srcaddr dstaddr protocol', lines);
  const b = makeBatch('srcaddr dstaddr protocol', lines);
  communityIdEnricher(0).enrich(a);
  withWasm(false, () => communityIdEnricher(0)).enrich(b);
  assert.deepEqual(idsAndDigests(a), idsAndDigests(b));
  assert.equal(idsAndDigests(a).filter((v) => v === null).length, 0);
});
