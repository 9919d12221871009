/**
 * The address table finds a known address by the decoder's dictionary key when the batch has
 * keys (StrColumn.keys) and by its text otherwise: both must give the same table, also after the
 * thread's address book started over.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Column, FlowBatch } from '../../src/batch/flow-batch.js';
import { RunStats } from '../../src/core/stats.js';
import { TextBatcher } from '../../src/decode/text.js';
import { ADDRESS_BOOK } from '../../src/enrich/address-book.js';
import { addressTable } from '../../src/enrich/addresses.js';

function decode(text: string, batchSize: number): FlowBatch[] {
  const batcher = new TextBatcher({
    source: { id: 'input.log' },
    origin: 'input.log',
    batchSize,
    stats: new RunStats(),
    headers: true,
  });
  batcher.push(Buffer.from(text, 'utf8'));
  batcher.end();
  return batcher.take();
}

/** The same rows; with `keys` false its dictionaries are copies, which carry no keys. */
function copy(b: FlowBatch, keys: boolean): FlowBatch {
  const columns = b.columns.map((c): Column => (c.kind === 'str' && !keys ? { ...c, dict: [...c.dict] } : c));
  return new FlowBatch(b.fields, columns, b.length, b.source, b.positions);
}

function sameTables(batches: readonly FlowBatch[]): void {
  for (const b of batches) {
    const keyed = addressTable(copy(b, true));
    const plain = addressTable(copy(b, false));
    assert.deepEqual(keyed.srcIds, plain.srcIds);
    assert.deepEqual(keyed.dstIds, plain.dstIds);
    assert.deepEqual(keyed.values, plain.values);
    assert.deepEqual(keyed.entries, plain.entries);
    assert.deepEqual(keyed.classes, plain.classes);
  }
}

const header = 'version srcaddr dstaddr pkt-srcaddr pkt-dstaddr action';

function lines(count: number, salt: number): string {
  const out = [header];
  for (let i = 0; i < count; i++) {
    const a = `10.${salt}.${(i >> 8) & 255}.${i & 255}`;
    const b = `2001:db8::${((i * 7) % 5000).toString(16)}`;
    const pkt = i % 3 === 0 ? `203.0.113.${i % 250}` : '-';
    out.push(`5 ${a} ${i % 2 ? b : '8.8.8.8'} ${pkt} ${i % 5 === 0 ? '-' : a} ACCEPT`);
  }
  return `${out.join('\n')}\n`;
}

test('tables built by dictionary key and by text agree', () => {
  const batches = decode(lines(20000, 1), 3000);
  const src = batches[0]!.column('srcaddr');
  assert.ok(src?.kind === 'str' && src.keys, 'the batches have keys');
  sameTables(batches);
  // every row's endpoints: pkt-srcaddr when present, else srcaddr
  const t = addressTable(batches[0]!);
  assert.equal(t.values[t.srcIds[0]!], '203.0.113.0');
  assert.equal(t.values[t.srcIds[1]!], '10.1.0.1');
});

test('rows without packet addresses: the WebAssembly row pass and JavaScript give the same tables', () => {
  const out = ['version srcaddr dstaddr action'];
  for (let i = 0; i < 9000; i++)
    out.push(`2 10.3.${(i >> 4) & 255}.${i & 15} ${i % 7 ? `8.8.${i % 3}.8` : '-'} ACCEPT`);
  const batches = decode(`${out.join('\n')}\n`, 2048);
  sameTables(batches);
  const plain = (b: FlowBatch) => addressTable(copy(b, false));
  const wasm = batches.map(plain);
  process.env.FLOWLENS_WASM = '0';
  try {
    const js = batches.map(plain);
    for (const [k, t] of wasm.entries()) {
      assert.deepEqual(t.srcIds, js[k]!.srcIds);
      assert.deepEqual(t.dstIds, js[k]!.dstIds);
      assert.deepEqual(t.values, js[k]!.values);
    }
  } finally {
    delete process.env.FLOWLENS_WASM;
  }
  const t = wasm[0]!;
  assert.equal(t.values[t.srcIds[17]!], '10.3.1.1');
  assert.equal(t.dstIds[0], 0, 'a row without an address has id 0');
  assert.equal(t.values[t.dstIds[1]!], '8.8.1.8');
});

test('keys remembered before the address book started over are not used after it', () => {
  const batches = decode(lines(5000, 2), 1000);
  sameTables(batches);
  const epoch = ADDRESS_BOOK.epoch;
  // fill the book past its bound: the next table starts it over, and entry numbers change meaning
  for (let i = 0; ADDRESS_BOOK.values.length <= 1 << 17; i++)
    ADDRESS_BOOK.entry(`198.18.${i >> 8}.${i & 255}x`);
  sameTables(batches);
  assert.equal(ADDRESS_BOOK.epoch, epoch + 1);
  // the same dictionaries (same keys) again, now that the book holds them under new entries
  sameTables(batches);
});
