import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Alert } from '../../src/alerts/types.js';
import { spawnServe } from '../server/helpers.js';

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
    const { url, out, child, exited } = await spawnServe(['--to', 'null']);
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
    const { url, out, child, exited } = await spawnServe(['--to', 'null', '--no-alerts']);
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
