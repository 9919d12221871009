import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStoreReader } from '../../src/store/open.js';
import { flowLines } from '../aws/helpers.js';
import { spawnServe } from './helpers.js';

const RECORDS = 200;

function body(requestId: string, tag: number): string {
  return JSON.stringify({
    requestId,
    timestamp: Date.now(),
    records: flowLines(RECORDS, tag).map((l) => ({ data: Buffer.from(l).toString('base64') })),
  });
}

/**
 * SIGTERM while senders keep posting: every request answered 200 has all its records in the
 * store after the process exits; the others were refused or cut off (Firehose retries those).
 */
describe('serve shutdown under load', () => {
  it('loses nothing it acknowledged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-sigterm-'));
    const db = join(dir, 'flows.duckdb');
    try {
      const { url, child, exited, out } = await spawnServe([
        '--to',
        'store',
        '--db',
        db,
        '--log-format',
        'json',
      ]);
      const acknowledged: string[] = [];
      let next = 0;
      let stopping = false;
      let signalled!: () => void;
      const signalSent = new Promise<void>((resolve) => {
        signalled = resolve;
      });
      const sender = async (): Promise<void> => {
        // Senders go on until the server refuses them: the signal lands mid-load.
        for (;;) {
          const i = next++;
          const id = `load-${i}`;
          try {
            const res = await fetch(`${url}/firehose`, { method: 'POST', body: body(id, i) });
            await res.arrayBuffer();
            if (res.status === 200) acknowledged.push(id);
            else if (stopping) return;
          } catch {
            return; // connection refused or cut: not acknowledged
          }
          if (acknowledged.length === 12 && !stopping) {
            stopping = true;
            child.kill('SIGTERM');
            signalled();
          }
        }
      };
      await Promise.all([...Array.from({ length: 6 }, sender), signalSent]);
      assert.equal(await exited, 0, out.stderr);
      assert.ok(acknowledged.length >= 12);
      const reader = await openStoreReader(db);
      try {
        const r = await reader.con.runAndReadAll('SELECT source, count(*) AS n FROM flows GROUP BY source');
        const stored = new Map(r.getRowsJS().map(([s, n]) => [String(s), Number(n)]));
        for (const id of acknowledged)
          assert.equal(stored.get(`firehose:${id}`), RECORDS, `${id} acknowledged`);
      } finally {
        reader.close();
      }
      assert.match(out.stderr, /SIGTERM, finishing requests in flight/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
