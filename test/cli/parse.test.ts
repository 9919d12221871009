import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/flowlens.js');
const FIX = join(ROOT, 'test/fixtures/decode/');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  docs: Record<string, unknown>[];
  summary: Record<string, unknown>;
}

function parse(args: string[], input?: Buffer): Result {
  const r = spawnSync(process.execPath, [BIN, 'parse', ...args], {
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
    // no summary line (bad options, --help)
  }
  const docs = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, docs, summary };
}

const pick = (doc: Record<string, unknown>, keys: string[]) =>
  Object.fromEntries(keys.map((k) => [k, doc[k]]));

describe('flowlens parse', () => {
  let tmp: string;
  before(() => {
    // Build once: bin/flowlens.js runs the compiled dist/. Other areas' type errors must not stop
    // the emit, so the exit code of tsc is not what decides; the compiled entry point is.
    spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        stdio: 'ignore',
      },
    );
    assert.ok(existsSync(join(ROOT, 'dist/src/cli/parse.js')), 'the build produced dist/src/cli/parse.js');
    tmp = mkdtempSync(join(tmpdir(), 'flowlens-parse-cli-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('prints one JSON object per record with snake_case names, numbers and nulls, and a summary', () => {
    const r = parse([join(FIX, 'v2.log')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.docs.length, 5);
    const keys = ['version', 'account_id', 'srcaddr', 'srcport', 'bytes', 'action', 'log_status'];
    assert.deepEqual(pick(r.docs[0]!, keys), {
      version: 2,
      account_id: '123456789010',
      srcaddr: '172.31.16.139',
      srcport: 20641,
      bytes: 4249,
      action: 'ACCEPT',
      log_status: 'OK',
    });
    assert.deepEqual(pick(r.docs[2]!, keys), {
      version: 2,
      account_id: '123456789010',
      srcaddr: null,
      srcport: null,
      bytes: null,
      action: null,
      log_status: 'NODATA',
    });
    assert.equal(r.stderr.trim().split('\n').length, 1, 'stderr is the one summary line');
    assert.deepEqual(
      pick(r.summary, ['files', 'records', 'nodata', 'skipdata', 'malformed', 'errors', 'ok']),
      {
        files: 1,
        records: 5,
        nodata: 1,
        skipdata: 1,
        malformed: 0,
        errors: [],
        ok: true,
      },
    );
  });

  it('counts malformed lines without failing, unless --strict', () => {
    const lenient = parse([join(FIX, 'bad-lines.log')]);
    assert.equal(lenient.code, 0);
    assert.equal(lenient.docs.length, 2);
    assert.equal(lenient.summary.malformed, 3);
    const samples = lenient.summary.malformed_samples as { source: string; line: number }[];
    assert.deepEqual(
      samples.map((s) => [s.source, s.line]),
      [3, 4, 5].map((l) => [join(FIX, 'bad-lines.log'), l]),
    );
    const strict = parse(['--strict', join(FIX, 'bad-lines.log')]);
    assert.equal(strict.code, 1);
    assert.equal(strict.docs.length, 2, 'good records are still written');
    assert.match(
      strict.stderr.split('\n')[0]!,
      /^flowlens parse: 3 malformed line\(s\) with --strict \(first: .*bad-lines\.log line 3: expected 14 fields/,
    );
  });

  it('reads stdin given as -', () => {
    const r = parse(['-'], gzipSync(readFileSync(join(FIX, 'v5.log'))));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.docs.length, 3);
    assert.equal(r.docs[0]!.flow_direction, 'egress');
  });

  it('reads a directory recursively', () => {
    const dir = join(tmp, 'logs');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'one.log'), readFileSync(join(FIX, 'v2.log')));
    writeFileSync(join(dir, 'sub/two.log.gz'), gzipSync(readFileSync(join(FIX, 'v3.log'))));
    writeFileSync(join(dir, '.skipped.log'), 'not flow logs');
    const r = parse([dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.summary.files, 2);
    assert.equal(r.docs.length, 8);
    assert.equal(r.docs[4]!.log_status, 'OK', 'one.log comes first (name order)');
    assert.equal(r.docs[5]!.tcp_flags, 19);
    assert.equal(r.docs[5]!.vpc_id, 'vpc-abcdefab012345678');
    assert.equal(r.docs[7]!.tcp_flags, null);
  });

  it('reports a missing file with a one-line message, exits 1, and still decodes the rest', () => {
    const missing = join(tmp, 'missing.log');
    const r = parse([missing, join(FIX, 'v2.log')]);
    assert.equal(r.code, 1);
    assert.equal(r.docs.length, 5);
    assert.equal(r.stderr.split('\n')[0], `flowlens parse: ${missing}: no such file or directory`);
    assert.deepEqual(r.summary.errors, [{ source: missing, message: 'no such file or directory' }]);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('reports a truncated gzip with its offset after writing the records before it', () => {
    const lines = [readFileSync(join(FIX, 'v2.log'), 'utf8').split('\n')[0]!];
    for (let i = 0; i < 5000; i++) {
      lines.push(
        `2 123456789010 eni-1235b8ca123456789 10.0.0.1 172.31.16.21 ${i} 443 6 20 4249 1418530010 1418530070 ACCEPT OK`,
      );
    }
    const gz = gzipSync(lines.join('\n'));
    const path = join(tmp, 'cut.log.gz');
    writeFileSync(path, gz.subarray(0, gz.length - 100));
    const r = parse([path]);
    assert.equal(r.code, 1);
    assert.ok(r.docs.length > 0);
    for (const [i, d] of r.docs.entries()) assert.equal(d.srcport, i);
    const errors = r.summary.errors as { source: string; offset: number; message: string }[];
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.source, path);
    assert.equal(errors[0]!.offset, gz.length - 100);
    assert.equal(errors[0]!.message, `${path}: gzip stream cut off at compressed byte ${gz.length - 100}`);
  });

  it('applies --format to headerless text', () => {
    const r = parse([
      '--format',
      ['interface-id', 'action', 'srcaddr', 'dstport', 'protocol', 'flow-direction', 'version']
        .map((n) => `\${${n}}`)
        .join(' '),
      join(FIX, 'custom-order.log'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(pick(r.docs[1]!, ['interface_id', 'action', 'dstport', 'flow_direction']), {
      interface_id: 'eni-1235b8ca123456789',
      action: 'REJECT',
      dstport: null,
      flow_direction: 'ingress',
    });
  });

  it('fails at start on a bad option value, naming the setting', () => {
    const r = parse(['--batch-size', 'lots', join(FIX, 'v2.log')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^flowlens parse: --batch-size: expected a number/);
    const none = parse([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no input given/);
  });

  it('prints help', () => {
    const r = parse(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: flowlens parse <input\.\.\.>/);
    assert.match(r.stdout, /--strict/);
  });

  it('exits cleanly when stdout is closed early (parse … | head)', async () => {
    const lines = [readFileSync(join(FIX, 'v2.log'), 'utf8').split('\n')[0]!];
    for (let i = 0; i < 60000; i++) {
      lines.push(
        `2 123456789010 eni-1235b8ca123456789 10.0.0.1 172.31.16.21 ${i} 443 6 20 4249 1418530010 1418530070 ACCEPT OK`,
      );
    }
    const path = join(tmp, 'big.log');
    writeFileSync(path, lines.join('\n'));
    const child = spawn(process.execPath, [BIN, 'parse', path], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const first = await new Promise<string>((resolve) => {
      child.stdout.once('data', (c: Buffer) => resolve(c.toString()));
    });
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.match(first, /^\{"version":2/);
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|\n\s+at /);
  });
});
