import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { serveOptionSpecs } from '../../src/cli/serve.js';
import { writeSample } from '../../src/generate/index.js';
import { resolveWithConfig } from '../../src/pipeline/options.js';
import { type FlowlensServer, startServer } from '../../src/server/server.js';
import { ingest } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'flowlens-dashboard-serve-'));
const servers: FlowlensServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(flags: Record<string, string | string[]>, log: string[]): Promise<FlowlensServer> {
  const options = resolveWithConfig(
    serveOptionSpecs(),
    { flags: { port: '0', ...flags }, positionals: [] },
    {},
  );
  const server = await startServer(options, { env: {}, log: (m) => log.push(m) });
  servers.push(server);
  return server;
}

describe('flowlens serve mounts the dashboard', () => {
  it('serves the page and the API at / over the store it writes', async () => {
    const db = join(dir, 'serve.duckdb');
    const sample = join(dir, 'v5.log.gz');
    const truth = await writeSample(sample, { records: 2000, version: '5', seed: 5 });
    await ingest(db, [sample]);
    const log: string[] = [];
    const server = await serve({ host: '127.0.0.1', to: ['store'], db }, log);
    assert.ok(log.some((m) => m.startsWith('dashboard at / over')));
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

  it('stays off on a public address without a token, and says why', async () => {
    const log: string[] = [];
    const server = await serve({ host: '0.0.0.0', to: ['store'], db: join(dir, 'other.duckdb') }, log);
    assert.ok(log.some((m) => /dashboard off: .*--dashboard-token/.test(m)));
    assert.equal((await fetch(`${server.url.replace('0.0.0.0', '127.0.0.1')}/api/summary`)).status, 404);
  });
});
