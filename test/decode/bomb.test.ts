import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipBomb } from '../../bench/gzip-bomb.js';

const CHILD = fileURLToPath(new URL('./bomb-child.ts', import.meta.url));
/** The goal for any input: a decoding process stays under this peak resident size. */
const LIMIT_MIB = 400;

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
    const member = gzipBomb(0, 1024);
    const file = join(tmp, 'bomb-nul.gz');
    writeFileSync(file, Buffer.concat([member, member]));
    const r = parse(file);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bomb-nul\.gz: not flow logs: binary content/);
    assert.ok(r.maxRssMiB < LIMIT_MIB, `peak ${r.maxRssMiB} MiB`);
  });

  it(`a member inflating to 256 MiB of blank lines: refused as empty, peak memory under ${LIMIT_MIB} MiB`, () => {
    const file = join(tmp, 'bomb-blank.gz');
    writeFileSync(file, gzipBomb(0x0a, 256));
    const r = parse(file);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bomb-blank\.gz: no flow log records/);
    assert.ok(r.maxRssMiB < LIMIT_MIB, `peak ${r.maxRssMiB} MiB`);
  });
});
