import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RowJson } from '../../src/schema/json/compile.js';
import { JsonBatcher } from '../../src/sinks/json-batcher.js';

const docs = [{ a: 1 }, { s: 'ünïcødé € 😀' }, { n: null, list: ['x', 'y'] }, { big: 'z'.repeat(5000) }];
/** Document i as a compiled writer would write it. */
const row: RowJson = (out, i) => out.frag(Buffer.from(JSON.stringify(docs[i]), 'utf8'));

describe('JsonBatcher', () => {
  it('makes a JSON array body of the documents added, non-ASCII text included', () => {
    const b = new JsonBatcher('json', 1 << 20);
    for (let i = 0; i < docs.length; i++) assert.equal(b.add(row, i), false);
    const { body, records } = b.take();
    assert.equal(records, docs.length);
    assert.deepEqual(JSON.parse(body.toString('utf8')), docs);
    assert.equal(b.records, 0);
  });

  it('makes NDJSON bodies, and starts afresh after each take', () => {
    const b = new JsonBatcher('ndjson', 1 << 20);
    b.add(row, 0);
    const first = b.take().body.toString('utf8');
    assert.equal(first, '{"a":1}\n');
    for (let i = 1; i < docs.length; i++) b.add(row, i);
    const lines = b.take().body.toString('utf8').split('\n');
    assert.equal(lines.pop(), '');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)),
      docs.slice(1),
    );
  });

  it('says when the body reached its size limit, growing past its first buffer', () => {
    const b = new JsonBatcher('json', 12_000);
    const full: boolean[] = [];
    for (let i = 0; i < 3; i++) full.push(b.add(row, 3));
    assert.deepEqual(full, [false, false, true]);
    const { body, records } = b.take();
    assert.equal(records, 3);
    assert.equal((JSON.parse(body.toString('utf8')) as unknown[]).length, 3);
  });

  it('a body taken empty is an empty array', () => {
    assert.equal(new JsonBatcher('json', 100).take().body.toString(), '[]');
  });
});
