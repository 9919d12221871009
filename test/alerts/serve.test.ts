import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Alert } from '../../src/alerts/types.js';

const root = join(import.meta.dirname, '../..');

/** Starts `flowlens serve` from source; resolves with its URL, stdout so far and the child. */
async function serve(extra: string[]) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      "import('./src/cli/main.ts').then(async (m) => { process.exitCode = await m.main(process.argv.slice(1)); })",
      'serve',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--to',
      'null',
      ...extra,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c) => {
    out.stdout += c;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (c) => {
      out.stderr += c;
      const m = /listening on (http:\/\/\S+)/.exec(out.stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`serve exited early: ${out.stderr}`)));
  });
  return { url, out, child };
}

const SSH =
  '2 123456789012 eni-0a1b2c3d 185.220.101.33 10.0.0.2 50000 22 6 10 840 1714521600 1714521660 ACCEPT OK';

async function post(url: string, line: string): Promise<number> {
  const res = await fetch(`${url}/firehose`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      requestId: 'r-1',
      timestamp: 1,
      records: [{ data: Buffer.from(line).toString('base64') }],
    }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('alerts in flowlens serve', () => {
  it('evaluates the rules on every request by default, alerts on stdout', async () => {
    const { url, out, child } = await serve([]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      assert.equal(await post(url, SSH), 200);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      const alerts = out.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Alert);
      assert.deepEqual(
        alerts.map((a) => `${a.rule} ${a.key}`),
        ['admin-port-exposed 10.0.0.2|22'],
      );
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('runs no rules with --no-alerts', async () => {
    const { url, out, child } = await serve(['--no-alerts']);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      assert.equal(await post(url, SSH), 200);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.equal(out.stdout, '');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
