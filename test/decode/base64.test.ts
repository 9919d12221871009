import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBase64 } from '../../src/decode/payload-input.js';

/** The definition decodeBase64 must agree with: whitespace removed, the alphabet, correct padding. */
function strictReference(text: string): Buffer | undefined {
  const s = text.replace(/\s+/g, '');
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

/** A deterministic generator (xorshift), so a failure names an input that can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('decodeBase64', () => {
  it('decodes clean base64 and rejects what is not base64', () => {
    assert.equal(decodeBase64('QUJD')?.toString(), 'ABC');
    assert.equal(decodeBase64('QUJDRA==')?.toString(), 'ABCD');
    assert.equal(decodeBase64('QUJDREU=')?.toString(), 'ABCDE');
    assert.equal(decodeBase64(' QUJD\nRA== ')?.toString(), 'ABCD');
    assert.equal(decodeBase64('')?.length, 0);
    for (const bad of ['QUJ', 'QU!D', 'A===', 'AB=C', 'QUJD-_==', 'QUéD', '====', 'QUJDRA=']) {
      assert.equal(decodeBase64(bad), undefined, JSON.stringify(bad));
    }
  });

  it('agrees with the strict definition on clean, damaged and mixed inputs', () => {
    const next = random(7);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const damage = ['=', '-', '_', ' ', '\n', '!', 'é', '\u0000', '==', '.'];
    let accepted = 0;
    for (let round = 0; round < 20_000; round++) {
      const bytes = Buffer.from(
        Array.from({ length: Math.floor(next() * 40) }, () => Math.floor(next() * 256)),
      );
      let text = bytes.toString('base64');
      const edits = next() < 0.5 ? 0 : 1 + Math.floor(next() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(next() * (text.length + 1));
        const piece =
          next() < 0.7 ? damage[Math.floor(next() * damage.length)]! : alphabet[Math.floor(next() * 64)]!;
        text =
          next() < 0.5
            ? text.slice(0, at) + piece + text.slice(at)
            : text.slice(0, at) + piece + text.slice(at + 1);
      }
      const got = decodeBase64(text);
      const want = strictReference(text);
      assert.deepEqual(got, want, `input ${JSON.stringify(text)}`);
      if (want) accepted++;
    }
    // both kinds of input were exercised
    assert.ok(accepted > 5_000 && accepted < 19_000, `${accepted} accepted`);
  });
});
