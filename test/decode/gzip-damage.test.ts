import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { constants, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { DecodeError } from '../../src/decode/errors.js';
import { gunzipStream } from '../../src/decode/stream.js';
import { bytesInput, decode } from './helpers.js';

const line = (i: number): string =>
  `2 123456789012 eni-0a1b2c3d 10.0.${i % 200}.${i % 7} 10.0.0.9 ${1024 + i} 443 6 ${i + 1} ${i * 40 + 40} 1700000000 1700000060 ${i % 3 ? 'ACCEPT' : 'REJECT'} OK`;

/**
 * The gzip of `lines` with one bit flipped so that zlib inflates it to the end, giving lines
 * that look like records but are not the original ones, and only then fails the CRC check:
 * the damage the decoder cannot see coming.
 */
function crcDamaged(lines: readonly string[]): { bytes: Buffer; garbage: string[] } {
  const gz = gzipSync(`${lines.join('\n')}\n`);
  const original = new Set(lines);
  for (let at = gz.length - 9; at > 10; at--) {
    for (let bit = 1; bit < 256; bit <<= 1) {
      const bad = Buffer.from(gz);
      bad[at]! ^= bit;
      try {
        gunzipSync(bad);
        continue;
      } catch (err) {
        if (!/incorrect data check/.test((err as Error).message)) continue;
      }
      const inflated = inflateRawSync(bad.subarray(10, bad.length - 8), {
        finishFlush: constants.Z_SYNC_FLUSH,
      }).toString('latin1');
      const garbage = inflated
        .split('\n')
        .filter((l) => /^2 \d+ eni-\S+ (\S+ ){10}(ACCEPT|REJECT) OK$/.test(l) && !original.has(l));
      if (garbage.length > 0) return { bytes: bad, garbage };
    }
  }
  throw new Error('no bit flip gives record-like garbage');
}

async function collect(stream: AsyncIterable<Buffer>): Promise<{ text: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const c of stream) parts.push(c);
  } catch (error) {
    return { text: Buffer.concat(parts), error };
  }
  return { text: Buffer.concat(parts) };
}

describe('damaged gzip', () => {
  it('a member failing its CRC check gives no record from its damaged text', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => line(i));
    const { bytes, garbage } = crcDamaged(lines);
    const out = await decode(bytesInput('damaged.log.gz', bytes, 512));
    assert.ok(out.error instanceof DecodeError, String(out.error));
    assert.match(out.error.message, /damaged.log.gz: gzip stream damaged \(incorrect data check\)/);
    const original = new Set(lines);
    const lineOf = (r: Record<string, unknown>): string =>
      [
        r.version,
        r.account_id,
        r.interface_id,
        r.srcaddr,
        r.dstaddr,
        r.srcport,
        r.dstport,
        r.protocol,
        r.packets,
        r.bytes,
        r.start,
        r.end,
        r.action,
        r.log_status,
      ].join(' ');
    for (const r of out.rows) assert.ok(original.has(lineOf(r)), `garbage record: ${lineOf(r)}`);
    // the member is small: all of its text was held back, none of the garbage came out
    assert.equal(out.rows.length, 0, `${garbage.length} garbage lines, ${out.rows.length} records`);
  });

  it('members before a damaged one come out, except the last held-back bytes', async () => {
    const good = `${Array.from({ length: 4000 }, (_, i) => line(i)).join('\n')}\n`;
    const { bytes: damaged } = crcDamaged(Array.from({ length: 300 }, (_, i) => line(i + 5000)));
    const hold = 64 * 1024;
    const source = async function* (): AsyncGenerator<Buffer> {
      const all = Buffer.concat([gzipSync(good), damaged]);
      for (let at = 0; at < all.length; at += 1000) yield all.subarray(at, at + 1000);
    };
    const { text, error } = await collect(gunzipStream(source(), 'two.gz', hold));
    assert.ok(error instanceof DecodeError && error.damaged, String(error));
    assert.match(error.message, /bytes inflated just before it were not decoded/);
    // a prefix of the sound member: nothing of the damaged one
    assert.ok(text.length > 0 && text.length <= good.length, `${text.length} bytes`);
    assert.equal(text.toString('latin1'), good.slice(0, text.length));
    // the held-back bytes: the damaged member's text and the sound member's end
    assert.ok(text.length < good.length, 'the last bytes before the damage were held back');
  });

  it('a cut-off stream still gives everything before the cut', async () => {
    const good = `${Array.from({ length: 2000 }, (_, i) => line(i)).join('\n')}\n`;
    const gz = gzipSync(good);
    const cut = gz.subarray(0, gz.length - 20);
    const source = async function* (): AsyncGenerator<Buffer> {
      yield cut;
    };
    const { text, error } = await collect(gunzipStream(source(), 'cut.gz', 1 << 20));
    assert.ok(error instanceof DecodeError && !error.damaged, String(error));
    assert.match(error.message, /cut off/);
    assert.ok(text.length > good.length - 1000, `${text.length} of ${good.length} bytes`);
    assert.equal(text.toString('latin1'), good.slice(0, text.length));
  });
});
