import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runQuery } from '../../src/cli/query.js';
import { openStoreReader, type Reader } from '../../src/store/open.js';
import { FlowStore } from '../../src/store/store.js';
import { batchFromLines, tempDir } from './helpers.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const fixture = (name: string): string[] =>
  readFileSync(new URL(`../fixtures/store/${name}`, import.meta.url), 'utf8')
    .trimEnd()
    .split('\n');

function capture(): { out: Writable; text(): string } {
  let text = '';
  const out = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { out, text: () => text };
}

/** Runs the CLI from source in a child process. */
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

describe('flowlens query', () => {
  const tmp = tempDir();
  const db = join(tmp.dir, 'q.duckdb');
  let reader: Reader;
  before(async () => {
    const store = await FlowStore.open(db);
    await store.append(batchFromLines('small-v2.log', fixture('small-v2.log')));
    await store.commit('small-v2.log');
    await store.close();
    reader = await openStoreReader(db);
  });
  after(() => {
    reader.close();
    tmp.cleanup();
  });

  const SQL = `SELECT srcaddr, bytes, end_time, 'a,"b"' AS note FROM flows ORDER BY bytes DESC`;

  it('JSON: an array of row objects with BIGINTs as numbers', async () => {
    const c = capture();
    await runQuery(reader, SQL, 'json', c.out);
    assert.deepEqual(JSON.parse(c.text()), [
      { srcaddr: '10.0.1.10', bytes: 1000, end_time: '2026-06-01T00:00:50Z', note: 'a,"b"' },
      { srcaddr: '52.1.1.1', bytes: 700, end_time: '2026-06-01T00:00:50Z', note: 'a,"b"' },
      { srcaddr: '203.0.113.7', bytes: 40, end_time: '2026-06-01T01:00:10Z', note: 'a,"b"' },
    ]);
    const empty = capture();
    await runQuery(reader, 'SELECT * FROM flows WHERE false', 'json', empty.out);
    assert.deepEqual(JSON.parse(empty.text()), []);
  });

  it('CSV: header and RFC 4180 quoting', async () => {
    const c = capture();
    await runQuery(reader, SQL, 'csv', c.out);
    assert.equal(
      c.text(),
      'srcaddr,bytes,end_time,note\n10.0.1.10,1000,2026-06-01T00:00:50Z,"a,""b"""\n52.1.1.1,700,2026-06-01T00:00:50Z,"a,""b"""\n203.0.113.7,40,2026-06-01T01:00:10Z,"a,""b"""\n',
    );
  });

  it('table: aligned columns and a row count', async () => {
    const c = capture();
    await runQuery(reader, 'SELECT srcaddr, bytes FROM flows ORDER BY bytes DESC', 'table', c.out);
    const lines = c.text().trimEnd().split('\n');
    assert.equal(lines[0], 'srcaddr      bytes');
    assert.equal(lines[2], '10.0.1.10    1,000');
    assert.equal(lines[4], '203.0.113.7     40');
    assert.equal(lines[5], '(3 rows)');
  });

  it('bad SQL is one clear error line; a missing db is not created', () => {
    const bad = cli(['query', '--db', db, 'SELEC nonsense']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^flowlens query: SQL error: Parser Error: syntax error/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    const missing = join(tmp.dir, 'nope.duckdb');
    const r = cli(['query', '--db', missing, 'SELECT 1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no store at .*nope\.duckdb/);
    assert.equal(existsSync(missing), false);
  });

  it('report lists reports without a name and prints JSON with one', () => {
    const list = cli(['report']);
    assert.equal(list.code, 0);
    for (const name of ['top-talkers', 'rejected', 'timeline', 'egress', 'nat'])
      assert.match(list.stdout, new RegExp(name));
    const r = cli(['report', 'interfaces', '--db', db, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { sections: Array<{ title: string; missing?: string[] }> };
    assert.deepEqual(json.sections.find((s) => s.title === 'By VPC')?.missing, ['vpc_id']);
    const bad = cli(['report', 'timeline', '--db', db, '--since', 'yesterday-ish']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since: expected/);
  });
});
