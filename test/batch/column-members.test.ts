/**
 * What a column carries for later stages (the decoder's dictionary keys, the community id
 * digests, the geo spreads) is part of the batch: it survives a slice (the Lambda's
 * continuation point) and a message to another thread (the store's worker).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { type BatchMessage, fromMessage, toMessage } from '../../src/batch/message.js';
import { sliceBatch } from '../../src/batch/slice.js';
import { RunStats } from '../../src/core/stats.js';
import { decodeInput } from '../../src/decode/detect.js';
import { buildEnrichers } from '../../src/enrich/index.js';
import { bytesInput } from '../decode/helpers.js';

const LINES = [
  '2 123456789012 eni-aaaa 10.0.0.1 8.8.8.8 443 50000 6 10 840 1700000000 1700000060 ACCEPT OK',
  '2 123456789012 eni-bbbb 10.0.0.3  1.1.1.1 53 50001 17 1 80 1700000000 1700000060 ACCEPT OK',
  '2 123456789012 eni-cccc 10.0.0.5 8.8.8.8 22 50002 6 3 180 1700000000 1700000060 REJECT OK',
  '2 123456789012 eni-dddd 10.0.0.1 9.9.9.9 443 50003 6 3 180 1700000000 1700000060 ACCEPT OK',
];

/** The lines decoded (with the WebAssembly scanner when built) and enriched with every enricher. */
async function enrichedBatch(): Promise<FlowBatch> {
  const stats = new RunStats();
  const batches: FlowBatch[] = [];
  const input = bytesInput('members.log', Buffer.from(`${LINES.join('\n')}\n`));
  for await (const b of decodeInput(input, { stats })) batches.push(b);
  assert.equal(batches.length, 1);
  const batch = batches[0]!;
  for (const e of await buildEnrichers({ enrich: ['all'] })) e.enrich(batch);
  return batch;
}

/** Every member of `batch` agrees with its rows: spreads give the row values, digests and text bytes cover the dictionary. */
function checkMembers(batch: FlowBatch): void {
  const cid = batch.column('community_id');
  assert.ok(cid?.kind === 'str' && cid.digests, 'community_id carries its digests');
  assert.ok(cid.digests.length >= 5 * cid.dict.length);
  // the ids' text as bytes, one width: code c's string is its c-th slice
  for (const name of ['community_id', 'record_uid']) {
    const col = batch.column(name);
    assert.ok(col?.kind === 'str' && col.fixedText, `${name} carries its text as bytes`);
    const { bytes, width } = col.fixedText;
    for (let c = 1; c < col.dict.length; c++) {
      assert.equal(Buffer.from(bytes.subarray((c - 1) * width, c * width)).toString('latin1'), col.dict[c]);
    }
  }
  const country = batch.column('dst_country');
  const lat = batch.column('dst_lat');
  assert.ok(country?.kind === 'str' && country.spread, 'dst_country carries its spread');
  assert.ok(lat?.kind === 'num' && lat.spread, 'dst_lat carries its spread');
  assert.equal(country.spread.rowIds, lat.spread.rowIds, 'one endpoint, one row-id array');
  assert.equal(country.spread.rowIds.length, batch.length);
  for (let i = 0; i < batch.length; i++) {
    assert.equal(country.codes[i], country.spread.of[country.spread.rowIds[i]!]);
    assert.ok(Object.is(lat.values[i], lat.spread.of[lat.spread.rowIds[i]!]));
  }
}

/** The message as the receiving thread sees it, through a real port (structured clone). */
function overPort(message: BatchMessage): Promise<BatchMessage> {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    port2.once('message', (m: BatchMessage) => {
      port1.close();
      resolve(m);
    });
    port1.postMessage(message);
  });
}

describe('column members', () => {
  it('survive a slice, cut with the rows', async () => {
    const batch = await enrichedBatch();
    checkMembers(batch);
    const slice = sliceBatch(batch, 1, 3);
    assert.equal(slice.length, 2);
    checkMembers(slice);
    assert.equal(slice.str('dst_country', 0), batch.str('dst_country', 1));
    assert.equal(slice.str('community_id', 1), batch.str('community_id', 2));
    const src = slice.column('srcaddr');
    const whole = batch.column('srcaddr');
    assert.ok(src?.kind === 'str' && whole?.kind === 'str');
    // the WebAssembly line scanner gives keys (wasm/modules.ts: on unless FLOWLENS_WASM=0)
    if (process.env.FLOWLENS_WASM !== '0') assert.ok(whole.keys, 'the decoder keyed srcaddr');
    assert.equal(src.keys, whole.keys, 'dictionary keys stay with the dictionary');
  });

  it('keep each row with its original line in a slice', async () => {
    const batch = await enrichedBatch();
    const slice = sliceBatch(batch, 1, 3);
    assert.ok(slice.text, 'the slice keeps the original lines');
    assert.deepEqual([slice.line(0), slice.line(1)], LINES.slice(1, 3));
    assert.equal(slice.row(1).interface_id, 'eni-cccc');
  });

  it('survive a message to another thread', async () => {
    const batch = await enrichedBatch();
    const copy = fromMessage(await overPort(toMessage(batch, { withoutText: true })));
    checkMembers(copy);
    const cid = copy.column('community_id');
    const before = batch.column('community_id');
    assert.ok(cid?.kind === 'str' && before?.kind === 'str');
    assert.deepEqual(cid.digests, before.digests);
    const src = copy.column('srcaddr');
    const whole = batch.column('srcaddr');
    assert.ok(src?.kind === 'str' && whole?.kind === 'str');
    assert.deepEqual(src.keys?.keys, whole.keys?.keys);
  });
});
