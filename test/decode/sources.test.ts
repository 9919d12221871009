import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RunStats } from '../../src/core/stats.js';
import type { SourceInput } from '../../src/core/types.js';
import { resolveInputs } from '../../src/sources/resolve.js';

async function ids(paths: string[], stats: RunStats): Promise<string[]> {
  const out: string[] = [];
  for await (const i of resolveInputs(
    paths,
    {},
    { stats, log: () => undefined },
  ) as AsyncIterable<SourceInput>)
    out.push(i.ref.id);
  return out;
}

describe('local inputs', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flowlens-sources-'));
    mkdirSync(join(dir, 'b/nested'), { recursive: true });
    mkdirSync(join(dir, '.hidden-dir'));
    for (const f of ['b/nested/z.log', 'b/a.log.gz', 'a.log', '.hidden', '.hidden-dir/x.log', 'c.parquet']) {
      writeFileSync(join(dir, f), 'x');
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('walks directories recursively, sorted, skipping hidden entries', async () => {
    const stats = new RunStats();
    assert.deepEqual(await ids([dir], stats), [
      join(dir, 'a.log'),
      join(dir, 'b/a.log.gz'),
      join(dir, 'b/nested/z.log'),
      join(dir, 'c.parquet'),
    ]);
    assert.equal(stats.errors.length, 0);
  });

  it('records a missing path as an error and goes on with the others', async () => {
    const stats = new RunStats();
    const missing = join(dir, 'nope.log');
    assert.deepEqual(await ids([missing, join(dir, 'a.log'), '-'], stats), [join(dir, 'a.log'), '-']);
    assert.deepEqual(stats.errors, [{ source: missing, message: 'no such file or directory' }]);
  });

  it('gives file inputs their size and random access', async () => {
    const stats = new RunStats();
    const inputs: SourceInput[] = [];
    for await (const i of resolveInputs([join(dir, 'a.log')], {}, { stats, log: () => undefined }))
      inputs.push(i);
    assert.equal(inputs[0]!.size, 1);
    assert.equal(Buffer.from(await inputs[0]!.readRange!(0, 1)).toString(), 'x');
  });
});
