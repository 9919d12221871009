import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnServe } from './helpers.js';

const root = join(import.meta.dirname, '../..');

/** `flowlens serve` as a user runs it: listens, answers, and exits 0 on SIGTERM. */
describe('flowlens serve', () => {
  it('serves until SIGTERM, then exits cleanly', async () => {
    const { url, child, out, exited } = await spawnServe(['--to', 'null']);
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    const res = await fetch(`${url}/firehose`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        requestId: 'cli-1',
        timestamp: 1,
        records: [
          {
            data: Buffer.from(
              '2 123456789012 eni-0a1b2c3d 10.0.0.1 10.0.0.2 443 49152 6 10 840 1714521600 1714521660 ACCEPT OK',
            ).toString('base64'),
          },
        ],
      }),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { requestId: string }).requestId, 'cli-1');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(out.stderr, /SIGTERM, finishing requests in flight/);
  });

  it('fails at start with a bad setting named', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        "import('./src/cli/main.ts').then(async (m) => { process.exitCode = await m.main(process.argv.slice(1)); })",
        'serve',
        '--max-body',
        'huge',
      ],
      { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 2);
    assert.match(stderr, /flowlens serve: --max-body: expected a number \(got "huge"\)/);
  });
});
