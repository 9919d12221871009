import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/flowlens.js');
const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const line = (i: number): string =>
  `2 123456789010 eni-1235b8ca123456789 10.0.0.${i % 250} 172.31.16.21 ${i} 443 6 20 4249 1418530010 1418530070 ACCEPT OK`;

interface Result {
  code: number | null;
  stderr: string;
  records: number;
  summary: Record<string, unknown>;
}

function flowlens(args: string[], input?: Buffer): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    env: { ...process.env, FLOWLENS_DEBUG: '' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = r.stderr.trim().split('\n');
  let summary: Record<string, unknown> = {};
  try {
    summary = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
  } catch {
    // no summary line (bad options)
  }
  const records = r.stdout.split('\n').filter((l) => l.startsWith('{')).length;
  return { code: r.status, stderr: r.stderr, records, summary };
}

describe('CLI: exit status, summary and warnings agree', () => {
  let tmp: string;
  before(() => {
    // bin/flowlens.js runs the compiled dist/
    spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        stdio: 'ignore',
      },
    );
    assert.ok(existsSync(join(ROOT, 'dist/src/cli/parse.js')));
    tmp = mkdtempSync(join(tmpdir(), 'flowlens-cli-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('a malformed --format is a bad option: exit 2, naming --format', () => {
    const file = join(tmp, 'plain.log');
    writeFileSync(file, `${line(1)}\n`);
    const r = flowlens(['parse', file, '--format', 'version ${srcaddr']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--format/);
  });

  it('--strict with a malformed line: exit 1 and "ok":false in the summary', () => {
    const file = join(tmp, 'one-bad.log');
    writeFileSync(file, `${HEADER}\n${line(1)}\nnot a record\n`);
    for (const command of ['parse', 'ingest']) {
      const extra = command === 'ingest' ? ['--to', 'ndjson', '--ndjson-path', join(tmp, 'out.ndjson')] : [];
      const r = flowlens([command, file, '--strict', ...extra]);
      assert.equal(r.code, 1, command);
      assert.equal(r.summary.ok, false, command);
      const plain = flowlens([command, file, ...extra]);
      assert.equal(plain.code, 0, command);
      assert.equal(plain.summary.ok, true, command);
    }
  });

  it('--format that disagrees with a file header: the header is used, with a warning', () => {
    const file = join(tmp, 'with-header.log');
    writeFileSync(file, `${HEADER}\n${line(1)}\n`);
    const r = flowlens(['parse', file, '--format', 'version srcaddr dstaddr']);
    assert.equal(r.code, 0);
    assert.equal(r.records, 1);
    const warnings = (r.summary.warnings ?? []) as string[];
    assert.ok(
      warnings.some((w) => /with-header\.log: header on line 1 differs from --format/.test(w)),
      JSON.stringify(warnings),
    );
    // a header that agrees with --format is no news
    const same = flowlens(['parse', file, '--format', HEADER]);
    assert.equal(same.summary.warnings, undefined);
  });

  it('an input whose every line is malformed fails: exit 1, a message naming it', () => {
    const file = join(tmp, 'all-bad.log');
    writeFileSync(file, 'this is not\na flow log\n');
    const r = flowlens(['parse', file]);
    assert.equal(r.code, 1);
    assert.equal(r.summary.ok, false);
    assert.match(r.stderr, /all-bad\.log: no usable record: all 2 lines are malformed/);
  });

  it('a UTF-8 BOM before the header: every record, exit 0', () => {
    const file = join(tmp, 'bom.log');
    writeFileSync(
      file,
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${HEADER}\n${line(1)}\n`)]),
    );
    const r = flowlens(['parse', file]);
    assert.equal(r.code, 0);
    assert.equal(r.records, 1);
    assert.equal(r.summary.malformed, 0);
  });

  it('blank lines past 64 KiB on stdin before the records: every record', () => {
    const r = flowlens(
      ['parse', '-'],
      Buffer.from(`${'\n'.repeat(200_000)}${HEADER}\n${line(1)}\n${line(2)}\n`),
    );
    assert.equal(r.code, 0);
    assert.equal(r.records, 2);
  });

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} during ingest: the summary (what was delivered, what was not), then exit ${code}`, async () => {
      const child = spawn(
        process.execPath,
        [
          BIN,
          'ingest',
          '-',
          '--to',
          'ndjson',
          '--ndjson-path',
          '-',
          '--batch-size',
          '5',
          '--decode-threads',
          '0',
          '--quiet',
        ],
        { cwd: ROOT, env: { ...process.env, FLOWLENS_DEBUG: '' }, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      child.stdin.write(`${HEADER}\n${Array.from({ length: 20 }, (_, i) => line(i)).join('\n')}\n`);
      // stdin stays open: the run is mid-input when the signal comes, after records went out
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      child.kill(signal);
      const status = await exited;
      child.stdin.destroy();
      assert.equal(status, code, stderr);
      const summary = JSON.parse(stderr.trim().split('\n').pop()!) as {
        records: number;
        ok: boolean;
        errors: Array<{ message: string }>;
        sinks: Array<{ name: string; delivered: number; failed: number }>;
      };
      assert.equal(summary.ok, false);
      assert.ok(summary.records >= 5, JSON.stringify(summary));
      assert.match(summary.errors.map((e) => e.message).join('\n'), new RegExp(`interrupted by ${signal}`));
      assert.equal(summary.sinks[0]!.name, 'ndjson');
      assert.ok(summary.sinks[0]!.delivered >= 5, JSON.stringify(summary));
    });
  }
});
