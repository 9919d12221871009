import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';

const CHILD = fileURLToPath(new URL('./bomb-child.ts', import.meta.url));
/** The goal for any input: a decoding process stays under this peak resident size. */
const LIMIT_MIB = 400;

/**
 * A gzip member holding `gib` GiB of `byte`, made from one deflated MiB repeated: a stored
 * deflate stream cannot be repeated, but a deflate block of a run can (its bits end on a byte
 * boundary after a sync flush), so the member is small and quick to build.
 */
function gzipMember(byte: number, gib: number): Buffer {
  const mib = Buffer.alloc(1 << 20, byte);
  // a raw deflate of one MiB, sync-flushed so its blocks can follow each other
  const block = deflateRawSync(mib, { level: 9, finishFlush: 2 /* Z_SYNC_FLUSH */ });
  const blocks = 1024 * gib;
  const crc = crcOfRepeats(mib, blocks);
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc, 0);
  trailer.writeUInt32LE((blocks * mib.length) >>> 0, 4);
  const final = Buffer.from([3, 0]); // an empty final fixed-Huffman block
  return Buffer.concat([header, ...Array.from({ length: blocks }, () => block), final, trailer]);
}

function crcOfRepeats(buf: Buffer, times: number): number {
  let crc = 0;
  for (let i = 0; i < times; i++) crc = crc32(buf, crc);
  return crc;
}

describe('gzip bombs', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'flowlens-bomb-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const parse = (file: string): { status: number; maxRssMiB: number; stderr: string } => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, file], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(r.status, 0, r.stderr);
    const last = r.stdout.trim().split('\n').pop()!;
    return { ...(JSON.parse(last) as { status: number; maxRssMiB: number }), stderr: r.stderr };
  };

  it(`members inflating to 1 GiB each of NUL bytes: refused, peak memory under ${LIMIT_MIB} MiB`, () => {
    const member = gzipMember(0, 1);
    const file = join(tmp, 'bomb-nul.gz');
    writeFileSync(file, Buffer.concat([member, member]));
    const r = parse(file);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bomb-nul\.gz: not flow logs: binary content/);
    assert.ok(r.maxRssMiB < LIMIT_MIB, `peak ${r.maxRssMiB} MiB`);
  });

  it(`a member inflating to 256 MiB of blank lines: no records, peak memory under ${LIMIT_MIB} MiB`, () => {
    const file = join(tmp, 'bomb-blank.gz');
    writeFileSync(file, gzipMember(0x0a, 0.25));
    const r = parse(file);
    assert.equal(r.status, 0);
    assert.ok(r.maxRssMiB < LIMIT_MIB, `peak ${r.maxRssMiB} MiB`);
  });
});
