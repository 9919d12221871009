/**
 * PagedFile answers what the whole file read into memory answers, whatever the page size and
 * however few pages it may hold, and keeps within its bound.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PagedFile } from '../../src/enrich/paged-file.js';

const dir = mkdtempSync(join(tmpdir(), 'flowlens-paged-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Deterministic pseudo-random numbers below `max`. */
function numbers(seed: number): (max: number) => number {
  let x = seed;
  return (max) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return Math.floor((x / 2 ** 32) * max);
  };
}

test('bytes, numbers and text at any offset, with pages giving way', () => {
  const path = join(dir, 'bytes.bin');
  // a size that is not a whole number of pages
  const bytes = randomBytes(100_003);
  // some UTF-8 text across what are page boundaries for the small sizes
  bytes.write('Zürich – Москва – 東京', 4093, 'utf8');
  writeFileSync(path, bytes);
  const next = numbers(3);
  for (const [pageSize, maxBytes] of [
    [8, 64],
    [64, 1024],
    [512, 16 << 20],
  ] as const) {
    const file = new PagedFile(path, pageSize, maxBytes);
    assert.equal(file.size, bytes.length);
    for (let i = 0; i < 20_000; i++) {
      const at = next(bytes.length - 48);
      assert.equal(file.u8(at), bytes[at]);
      assert.equal(file.uint(at, 3), bytes.readUIntBE(at, 3));
      assert.equal(file.uint(at, 4), bytes.readUInt32BE(at));
      assert.equal(file.int32(at), bytes.readInt32BE(at));
      assert.ok(Object.is(file.double(at), bytes.readDoubleBE(at)));
      assert.ok(Object.is(file.float(at), bytes.readFloatBE(at)));
      const length = next(40);
      assert.equal(
        file.text(at, length),
        bytes.toString('utf8', at, at + length),
        `${pageSize}: text at ${at}`,
      );
    }
    assert.equal(file.text(4093, 30), bytes.toString('utf8', 4093, 4123));
    assert.equal(file.u8(bytes.length - 1), bytes[bytes.length - 1]);
    assert.ok(file.heldBytes <= maxBytes, `${file.heldBytes} bytes held, bound ${maxBytes}`);
    assert.throws(() => file.u8(bytes.length), /offset 100003 is outside the file \(100003 bytes\)/);
    assert.throws(() => file.u8(-1), /outside the file/);
    file.close();
  }
});

test('a page size that is not a power of two is refused; a missing file throws', () => {
  const path = join(dir, 'small.bin');
  writeFileSync(path, Buffer.alloc(10));
  assert.throws(() => new PagedFile(path, 100), /page size 100: not a power of two/);
  assert.throws(() => new PagedFile(join(dir, 'missing.bin')), { code: 'ENOENT' });
});
