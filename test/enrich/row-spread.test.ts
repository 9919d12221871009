/**
 * The row spreader gives every row its source's and destination's per-address values; its
 * WebAssembly path (asm/row-spread.ts) must give what its JavaScript path gives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AddressTable } from '../../src/enrich/addresses.js';
import { RowSpread } from '../../src/enrich/row-spread.js';
import { wasmModule } from '../../src/wasm/modules.js';

function numbers(seed: number): (max: number) => number {
  let x = seed;
  return (max) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return Math.floor((x / 2 ** 32) * max);
  };
}

/** A table of `ids` addresses over `n` rows (only what the spreader reads). */
function table(n: number, ids: number, seed: number): AddressTable {
  const next = numbers(seed);
  const srcIds = Uint32Array.from({ length: n }, () => next(ids));
  const dstIds = Uint32Array.from({ length: n }, () => next(ids));
  const values = Array.from({ length: ids }, (_, k) => `a${k}`);
  return { values, srcIds, dstIds } as unknown as AddressTable;
}

function jsSpreader(): RowSpread {
  process.env.FLOWLENS_WASM = '0';
  try {
    return new RowSpread();
  } finally {
    delete process.env.FLOWLENS_WASM;
  }
}

test('the WebAssembly row spreader is built (else the comparisons compare JavaScript with itself)', () => {
  assert.ok(wasmModule('row-spread'));
});

test('spread: both paths give each row its endpoints values, for batches of any size', () => {
  const wasm = new RowSpread();
  const js = jsSpreader();
  for (const [n, ids] of [
    [8192, 1200],
    [1, 1],
    [7, 3],
    [20000, 9000],
    [333, 50],
  ] as const) {
    const t = table(n, ids, n);
    const next = numbers(ids);
    const lat = Float64Array.from({ length: ids }, (_, k) =>
      k % 5 === 0 ? Number.NaN : next(1e6) / 7 - 5e4,
    );
    const asn = Float64Array.from({ length: ids }, () => next(4e9));
    const country = Uint32Array.from({ length: ids }, () => next(300));
    const org = Uint32Array.from({ length: ids }, () => next(2 ** 32));
    const of = { numbers: [lat, asn], codes: [country, org] };
    const a = wasm.spread(t, of, n);
    const b = js.spread(t, of, n);
    assert.deepEqual(a, b);
    for (const i of [0, n >> 1, n - 1]) {
      assert.ok(Object.is(a.numbers[0]![i], lat[t.srcIds[i]!]));
      assert.ok(Object.is(a.numbers[3]![i], asn[t.dstIds[i]!]));
      assert.equal(a.codes[1]![i], country[t.dstIds[i]!]);
      assert.equal(a.codes[2]![i], org[t.srcIds[i]!]);
    }
    // the same table again (its ids are kept in the module's memory), other values
    const again = wasm.spread(t, { numbers: [asn], codes: [] }, n);
    assert.deepEqual(again, js.spread(t, { numbers: [asn], codes: [] }, n));
  }
});

test('classes: both paths give both classes and the pair code, a pair outside the table being 0', () => {
  const wasm = new RowSpread();
  const js = jsSpreader();
  const pairs = Uint8Array.from({ length: 256 }, (_, k) => (k * 7) % 5);
  for (const n of [8192, 5, 1000]) {
    const t = table(n, 40, n + 1);
    const classes = Uint8Array.from({ length: 40 }, (_, k) => (k === 39 ? 200 : k % 12));
    const a = wasm.classes(t, classes, pairs, n);
    assert.deepEqual(a, js.classes(t, classes, pairs, n));
    // another table (a batch's table never changes, so the module keeps its ids by table)
    const u = { ...t, srcIds: t.srcIds.slice(), dstIds: t.dstIds.slice() } as AddressTable;
    u.srcIds[0] = 5;
    u.srcIds[1] = 39;
    u.dstIds[1] = 2;
    const b = wasm.classes(u, classes, pairs, n);
    assert.deepEqual(b, js.classes(u, classes, pairs, n));
    assert.equal(b[0]![0], 5);
    assert.equal(b[2]![0], pairs[(5 << 4) | classes[u.dstIds[0]!]!]);
    assert.equal(b[0]![1], 200);
    assert.equal(b[2]![1], 0, 'a class past 15 pairs with nothing');
  }
});

test('codesOfNumbers: both paths code whole numbers 0-255 and nothing else', () => {
  const wasm = new RowSpread();
  const js = jsSpreader();
  const codes = Uint32Array.from({ length: 256 }, (_, k) => (k % 9 === 0 ? 0 : k + 1));
  const odd = [
    0,
    -0,
    1,
    6,
    17,
    255,
    256,
    -1,
    1.5,
    254.999,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -Number.MIN_VALUE,
    2 ** 32 + 6,
  ];
  for (const n of [odd.length, 8192, 3]) {
    const values = Float64Array.from({ length: n }, (_, i) => odd[i % odd.length]!);
    const a = wasm.codesOfNumbers(values, codes, n);
    assert.deepEqual(a, js.codesOfNumbers(values, codes, n));
    assert.equal(a.length, n);
  }
  const a = wasm.codesOfNumbers(Float64Array.from(odd), codes, odd.length);
  assert.deepEqual([...a], [0, 0, 2, 7, 18, 256, 0, 0, 0, 0, 0, 0, 0, 0]);
});
