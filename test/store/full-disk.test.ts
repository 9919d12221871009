import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeSample } from '../../src/generate/index.js';
import { tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./cli-child.ts', import.meta.url));
const tmp = tempDir('flowlens-full-');
after(() => tmp.cleanup());

/**
 * A real full disk: `unshare` gives the child its own user and mount namespaces, where it
 * mounts a 2 MiB tmpfs and keeps the store there. Where unprivileged namespaces are not
 * allowed, the test says so and is skipped.
 */
const canMount =
  spawnSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o size=1m tmpfs ${JSON.stringify(tmp.dir)}`])
    .status === 0;

describe('a store on a full disk', () => {
  it('counts every record it could not keep as failed, with the error', {
    skip: !canMount && 'no mount namespace here (unshare -rm)',
  }, async () => {
    const input = join(tmp.dir, 'flows.log.gz');
    const truth = await writeSample(input, { records: 60_000, version: '5', seed: 7 });
    const mnt = join(tmp.dir, 'mnt');
    const script = [
      `mkdir -p ${JSON.stringify(mnt)}`,
      `mount -t tmpfs -o size=2m tmpfs ${JSON.stringify(mnt)}`,
      `exec ${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(CHILD)} ingest ${JSON.stringify(input)} --to store --db ${JSON.stringify(join(mnt, 'flows.duckdb'))} --quiet`,
    ].join(' && ');
    const r = spawnSync('unshare', ['-rm', 'sh', '-c', script], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
    });
    assert.equal(r.status, 1, r.stderr);
    const summary = JSON.parse(r.stderr.trim().split('\n').pop()!) as {
      records: number;
      ok: boolean;
      sinks: Array<{ name: string; delivered: number; failed: number; errors: string[] }>;
    };
    assert.equal(summary.ok, false);
    const store = summary.sinks[0]!;
    assert.equal(store.name, 'store');
    assert.ok(store.failed > 0, JSON.stringify(store));
    // every record read was handed to the store, which kept none of them
    assert.equal(store.delivered + store.failed, summary.records, JSON.stringify(summary));
    assert.ok(summary.records <= truth.records);
    assert.match(store.errors.join('\n'), /No space left on device/);
  });
});
