import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteInterner } from '../../src/decode/interner.js';
import { JsonSplitter } from '../../src/decode/json.js';

describe('ByteInterner', () => {
  it('gives one code per distinct value per batch, and fresh codes in the next batch', () => {
    const t = new ByteInterner();
    const buf = Buffer.from('10.0.0.1 10.0.0.2 10.0.0.1 caf\u00e9');
    const a = t.intern(buf, 0, 8);
    const b = t.intern(buf, 9, 17);
    assert.equal(t.intern(buf, 18, 26), a);
    const c = t.intern(buf, 27, buf.length);
    assert.deepEqual([a, b, c], [1, 2, 3]);
    assert.deepEqual(t.dict, ['', '10.0.0.1', '10.0.0.2', 'caf\u00e9']);
    t.newBatch();
    assert.equal(t.intern(buf, 9, 17), 1);
    assert.deepEqual(t.dict, ['', '10.0.0.2']);
  });

  it('stays exact through table growth and resets with many distinct values', () => {
    const t = new ByteInterner();
    for (let round = 0; round < 2; round++) {
      t.newBatch();
      for (let i = 0; i < 40000; i++) {
        const s = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        const b = Buffer.from(` ${s} `);
        const code = t.intern(b, 1, b.length - 1);
        assert.equal(t.dict[code], s);
      }
    }
  });
});

describe('JsonSplitter', () => {
  const split = (chunks: string[]): { docs: string[]; junk: number[] } => {
    const docs: string[] = [];
    const junk: number[] = [];
    const s = new JsonSplitter('t', {
      document: (bytes, line) => docs.push(`${line}:${bytes.toString()}`),
      junk: (line) => junk.push(line),
      cut: (line) => junk.push(-line),
    });
    for (const c of chunks) s.push(Buffer.from(c));
    s.end();
    return { docs, junk };
  };

  it('splits back-to-back and line-separated objects, with braces and escapes inside strings', () => {
    const text = '{"a":"}{\\"x\\\\"}{"b":{"c":[1,2]}}\n\n{"d":"\\\\"}';
    const expected = ['1:{"a":"}{\\"x\\\\"}', '1:{"b":{"c":[1,2]}}', '3:{"d":"\\\\"}'];
    assert.deepEqual(split([text]).docs, expected);
    // Every chunk boundary, including between a backslash and the quote it escapes.
    for (let i = 1; i < text.length; i++) {
      assert.deepEqual(split([text.slice(0, i), text.slice(i)]).docs, expected, `split at ${i}`);
    }
    const oneByOne = split([...text]);
    assert.deepEqual(oneByOne.docs, expected);
  });

  it('reports text between documents, and a document cut off at the end', () => {
    assert.deepEqual(split(['{"a":1}\nnot json\n{"b":2}']).junk, [2]);
    assert.throws(() => split(['{"a":"x']), {
      message: 't: the JSON document starting on line 1 is cut off',
    });
  });
});
