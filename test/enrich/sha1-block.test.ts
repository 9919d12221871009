import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { SHA1_BASE64_LENGTH, Sha1Block } from '../../src/enrich/sha1-block.js';

/** A seeded xorshift32: the same "random" messages on every run. */
function prng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

test('single-block SHA-1 matches node:crypto for every word-aligned length up to 52 bytes', () => {
  const next = prng(20261122);
  const sha = new Sha1Block();
  const out = new Uint16Array(SHA1_BASE64_LENGTH / 2);
  let checked = 0;
  // Each length many times in a row (the padding is reused), then lengths in random order
  // (longer messages leave words that a shorter one's padding must clear).
  const lengths = Array.from({ length: 14 }, (_, k) => 4 * k);
  const runs = lengths.flatMap((bytes) => Array<number>(100).fill(bytes));
  for (let r = 0; r < 1400; r++) runs.push(lengths[next() % lengths.length]!);
  for (const bytes of runs) {
    const msg = Buffer.alloc(bytes);
    for (let k = 0; k < bytes / 4; k++) {
      const v = next();
      msg.writeUInt32BE(v, 4 * k);
      sha.words[k] = v | 0;
    }
    sha.pad(bytes);
    sha.digest();
    const expected = createHash('sha1').update(msg).digest();
    const words = Array.from({ length: 5 }, (_, k) => expected.readInt32BE(4 * k));
    assert.deepEqual(Array.from(sha.h), words, `${bytes} bytes: ${msg.toString('hex')}`);
    sha.base64To(out, 0);
    assert.equal(Buffer.from(out.buffer).toString('latin1'), expected.toString('base64'));
    checked++;
  }
  assert.equal(checked, 2800);
});

test('the FIPS 180 "abc" vector (a 3-byte message padded by hand)', () => {
  const sha = new Sha1Block();
  sha.pad(4); // clears the block; the message is 24 bits, not a whole word, so pad it by hand
  sha.words[0] = (0x61626380 | 0) >>> 0;
  sha.words[1] = 0;
  sha.words[15] = 24;
  sha.digest();
  const hex = Array.from(sha.h, (w) => (w >>> 0).toString(16).padStart(8, '0')).join('');
  assert.equal(hex, 'a9993e364706816aba3e25717850c26c9cd0d89d');
});
