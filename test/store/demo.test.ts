import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStoreReader } from '../../src/store/open.js';
import { tempDir } from './helpers.js';

const ROOT = new URL('../../', import.meta.url).pathname;

function cli(args: string[]) {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import('./src/cli/main.ts').then(async (m) => { process.exitCode = await m.main(${JSON.stringify(args)}); })`,
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function count(db: string): Promise<number> {
  const reader = await openStoreReader(db);
  try {
    return Number((await reader.con.runAndReadAll('SELECT count(*) FROM flows')).getRowsJS()[0]![0]);
  } finally {
    reader.close();
  }
}

describe('flowlens demo', () => {
  const tmp = tempDir('flowlens-demo-test-');
  after(() => tmp.cleanup());

  it('generates, ingests and prints the headline reports; a re-run adds nothing', async () => {
    const db = join(tmp.dir, 'demo.duckdb');
    const first = cli(['demo', '--records', '3000', '--seed', '4', '--db', db, '--quiet']);
    assert.equal(first.code, 0, first.stderr);
    for (const heading of [
      '━━ top-talkers ━━',
      'Top sources by bytes',
      '━━ rejected ━━',
      'Rejected by destination port',
      '━━ protocols ━━',
      'npx flowlens report',
    ]) {
      assert.ok(first.stdout.includes(heading), heading);
    }
    assert.match(first.stderr, /3,000 records from 1 input\(s\).*3,000 added, 0 already stored/);
    assert.equal(await count(db), 3000);
    const second = cli(['demo', '--records', '3000', '--seed', '4', '--db', db, '--quiet']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /0 added, 3,000 already stored/);
    assert.equal(await count(db), 3000);
  });

  it('athena-ddl prints DDL and rejects a bad location in one line', () => {
    const ok = cli(['athena-ddl', '--location', 's3://bucket/lake']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /STORED AS PARQUET/);
    const bad = cli(['athena-ddl', '--location', '/local/dir']);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      'flowlens athena-ddl: --location: expected s3://bucket/prefix (got "/local/dir")\n',
    );
  });
});
