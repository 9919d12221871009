import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { tallyLines } from './helpers.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'flowlens.js');
const built = join(root, 'dist', 'src', 'cli', 'generate.js');

/** Builds when the compiled generator is missing or older than its sources (npm test builds first anyway). */
async function ensureBuilt(): Promise<void> {
  const sources = [join(root, 'src', 'cli', 'generate.ts')];
  for (const f of await readdir(join(root, 'src', 'generate')))
    sources.push(join(root, 'src', 'generate', f));
  const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  // errors in other areas' work in progress do not stop tsc from emitting ours
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'ignore' });
  assert.ok(existsSync(built), 'the build did not produce dist/src/cli/generate.js');
}

function generate(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, 'generate', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

let dir: string;
before(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'flowlens-generate-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('flowlens generate', () => {
  it('writes records to stdout (no header) and the ground truth as one JSON line on stderr', () => {
    const a = generate(['--records', '300', '--seed', '3', '--malformed-rate', '0.05']);
    assert.equal(a.code, 0, a.stderr);
    const errLines = a.stderr.trim().split('\n');
    assert.equal(errLines.length, 1);
    const truth = JSON.parse(errLines[0]!);
    const lines = a.stdout.toString('latin1').trimEnd().split('\n');
    assert.equal(lines.length, 300);
    assert.equal(truth.header, false);
    const tally = tallyLines(lines, truth.fields);
    assert.equal(tally.malformed, truth.malformed);
    assert.deepEqual(tally.accept, truth.accept);
    assert.deepEqual(tally.reject, truth.reject);
    const b = generate(['--records', '300', '--seed', '3', '--malformed-rate', '0.05']);
    assert.ok(a.stdout.equals(b.stdout), 'same seed, same bytes');
  });

  it('--out FILE.gz writes gzip with the header line; settings also come from the environment', async () => {
    const path = join(dir, 'flows.log.gz');
    const r = generate(['--out', path], {
      FLOWLENS_GENERATE_RECORDS: '1200',
      FLOWLENS_GENERATE_VERSION: '5',
    });
    assert.equal(r.code, 0, r.stderr);
    const truth = JSON.parse(r.stderr);
    const lines = gunzipSync(await readFile(path))
      .toString('latin1')
      .trimEnd()
      .split('\n');
    assert.equal(truth.records, 1200);
    assert.equal(lines.length, 1201);
    assert.match(lines[0]!, /^version account-id .* flow-direction traffic-path$/);
    assert.equal(lines[1]!.split(' ')[0], '5');
  });

  it('--cloudwatch writes one payload per line; --parquet writes a Parquet file', async () => {
    const cw = join(dir, 'payloads.json');
    const r = generate(['--cloudwatch', '--cloudwatch-control', '-n', '500', '--out', cw]);
    assert.equal(r.code, 0, r.stderr);
    const payloads = (await readFile(cw, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(payloads[0].messageType, 'CONTROL_MESSAGE');
    const events = payloads.slice(1).reduce((n, p) => n + p.logEvents.length, 0);
    assert.equal(events, 500);
    const pq = join(dir, 'flows.parquet');
    const p = generate(['--parquet', '-n', '700', '--version', '4', '--out', pq]);
    assert.equal(p.code, 0, p.stderr);
    const bytes = await readFile(pq);
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'PAR1');
    assert.equal(bytes.subarray(-4).toString('latin1'), 'PAR1');
    assert.equal(JSON.parse(p.stderr).rowGroups, 1);
  });

  it('bad settings fail at start with one line naming the setting', () => {
    const cases: [string[], RegExp][] = [
      [['--version', '6'], /--version: expected one of 2, 3, 4, 5, tgw, 7, 8, 11/],
      [['--malformed-rate', '1.5'], /--malformed-rate: must be at most 1/],
      [['--parquet'], /--parquet needs --out/],
      [['--cloudwatch', '--parquet', '--out', 'x'], /exclude each other/],
      [['--format', 'version ${nope'], /--format/],
      [['--start-time', 'yesterday'], /--start-time/],
      [['--bogus'], /bogus/],
    ];
    for (const [args, message] of cases) {
      const r = generate(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout.length, 0);
    }
  });

  it('an unwritable --out is a one-line error', () => {
    const r = generate(['-n', '10', '--out', join(dir, 'missing', 'dir', 'x.log')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot write .*x\.log: ENOENT/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  it('a reader that closes the pipe early ends the run quietly', async () => {
    const child = spawn(process.execPath, [bin, 'generate', '-n', '2000000'], { cwd: root });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const [first] = (await once(child.stdout, 'data')) as [Buffer];
    assert.match(first.toString('latin1'), /^2 /);
    child.stdout.destroy();
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0);
    assert.equal(stderr, '');
  });

  it('--start-time and --interval 60 place records in one-minute windows from that time', () => {
    const r = generate(['-n', '3000', '--start-time', '2026-01-01T00:00:00Z', '--interval', '60', '-q']);
    assert.equal(r.code, 0, r.stderr);
    const t0 = Date.parse('2026-01-01T00:00:00Z') / 1000;
    for (const line of r.stdout.toString('latin1').trimEnd().split('\n')) {
      const t = line.split(' ');
      const start = Number(t[10]);
      const end = Number(t[11]);
      assert.ok(start >= t0 && end >= start);
      assert.equal(Math.floor((start - t0) / 60), Math.floor((end - t0) / 60));
    }
  });

  it('--help lists the options', () => {
    const r = generate(['--help']);
    assert.equal(r.code, 0);
    for (const flag of [
      '--records',
      '--version',
      '--format',
      '--seed',
      '--out',
      '--malformed-rate',
      '--cloudwatch',
      '--parquet',
    ]) {
      assert.ok(r.stdout.toString().includes(flag), flag);
    }
  });
});
