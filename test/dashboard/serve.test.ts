import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { serveOptionSpecs } from '../../src/cli/serve.js';
import { writeSample } from '../../src/generate/index.js';
import { resolveWithConfig } from '../../src/pipeline/options.js';
import { type FlowlensServer, startServer } from '../../src/server/server.js';
import { ROLLUPS } from '../../src/store/rollups.js';
import { flowLines } from '../aws/helpers.js';
import { memoryLogger } from '../server/helpers.js';
import { ingest } from './helpers.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'flowlens.js');
const dir = mkdtempSync(join(tmpdir(), 'flowlens-dashboard-serve-'));
const servers: FlowlensServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(
  flags: Record<string, string | string[]>,
  log: Array<Record<string, unknown>>,
): Promise<FlowlensServer> {
  const options = resolveWithConfig(
    serveOptionSpecs(),
    { flags: { port: '0', ...flags }, positionals: [] },
    {},
  );
  const server = await startServer(options, { env: {}, log: memoryLogger(log) });
  servers.push(server);
  return server;
}

describe('flowlens serve mounts the dashboard', () => {
  it('serves the page and the API at / over the store it writes', async () => {
    const db = join(dir, 'serve.duckdb');
    const sample = join(dir, 'v5.log.gz');
    const truth = await writeSample(sample, { records: 2000, version: '5', seed: 5 });
    await ingest(db, [sample]);
    const log: Array<Record<string, unknown>> = [];
    const server = await serve({ host: '127.0.0.1', to: ['store'], db }, log);
    assert.ok(log.some((m) => String(m.message).startsWith('dashboard at / over')));
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script src="\/app.js">/);
    const summary = (await (await fetch(`${server.url}/api/summary?action=REJECT`)).json()) as Record<
      string,
      number
    >;
    assert.equal(summary.rejected, truth.reject.records);
    assert.equal(summary.bytes, truth.reject.bytes);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });

  it('reads rollups that hold every record committed before the request', async () => {
    const db = join(dir, 'firehose.duckdb');
    const server = await serve({ host: '127.0.0.1', to: ['store'], db }, []);
    let posted = 0;
    let bytes = 0;
    for (let k = 0; k < 3; k++) {
      const lines = flowLines(40 + k, k);
      const res = await fetch(`${server.url}/firehose`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Amz-Firehose-Request-Id': `req-${k}` },
        body: JSON.stringify({
          requestId: `req-${k}`,
          timestamp: Date.now(),
          records: lines.map((l) => ({ data: Buffer.from(l).toString('base64') })),
        }),
      });
      assert.equal(res.status, 200, await res.text());
      posted += lines.length;
      bytes += (100 * lines.length * (lines.length + 1)) / 2;
      // 200 means committed; the dashboard's next answer includes it, from complete rollups.
      const meta = (await (await fetch(`${server.url}/api/meta`)).json()) as { rollups: string[] };
      assert.equal(meta.rollups.length, ROLLUPS.length, `every rollup complete after request ${k}`);
      const summary = (await (await fetch(`${server.url}/api/summary`)).json()) as Record<string, number>;
      assert.equal(summary.records, posted);
      assert.equal(summary.bytes, bytes);
    }
  });

  it('stays off on a public address without a token, and says why', async () => {
    const log: Array<Record<string, unknown>> = [];
    const server = await serve({ host: '0.0.0.0', to: ['store'], db: join(dir, 'other.duckdb') }, log);
    assert.ok(log.some((m) => /dashboard off: .*--dashboard-token/.test(String(m.message))));
    assert.equal((await fetch(`${server.url.replace('0.0.0.0', '127.0.0.1')}/api/summary`)).status, 404);
  });
});

describe('flowlens dashboard (the command; runs the compiled dist/)', () => {
  it('prints the URL, serves the store read-only, stops on SIGTERM', async () => {
    const db = join(dir, 'cli.duckdb');
    const sample = join(dir, 'cli.log.gz');
    const truth = await writeSample(sample, { records: 1000, version: '5', seed: 6 });
    await ingest(db, [sample]);
    const child = spawn(process.execPath, [BIN, 'dashboard', '--db', db, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const url = line.toString().trim();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const summary = (await (await fetch(`${url}api/summary`)).json()) as Record<string, number>;
    assert.equal(summary.accepted, truth.accept.records);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });

  it('refuses a public address without a token', () => {
    const r = spawnSync(
      process.execPath,
      [BIN, 'dashboard', '--db', join(dir, 'none.duckdb'), '--host', '0.0.0.0'],
      {
        encoding: 'utf8',
        env: { ...process.env, FLOWLENS_DASHBOARD_TOKEN: '' },
      },
    );
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--host 0\.0\.0\.0: the dashboard answers off this machine only with a token/);
  });
});
