import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { backtest } from '../../src/alerts/backtest.js';
import type { AlertEvent } from '../../src/alerts/book.js';
import { parseAlertsConfig } from '../../src/alerts/config.js';
import { cli } from './helpers.js';

const DAY = 86400;
const T0 = 1780272000;

describe('baselines from the store', () => {
  it('fires a reject spike only above k × the median of the same window on previous days', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const con = await instance.connect();
    try {
      await con.run(`CREATE TABLE flows (interface_id VARCHAR, srcaddr VARCHAR, dstaddr VARCHAR, srcport INTEGER,
        dstport INTEGER, protocol INTEGER, packets BIGINT, bytes BIGINT, start BIGINT, "end" BIGINT,
        action VARCHAR, log_status VARCHAR)`);
      // eni-busy: 600 rejects in the 00:00 window of each of 7 days, then 900 on day 8 (under 5 × 600);
      // eni-quiet: 60 on the 7 days, then 900 on day 8 (over 5 × 60); eni-new: 900 on day 8 only.
      const add = async (eni: string, day: number, n: number) =>
        con.run(`INSERT INTO flows SELECT '${eni}', '10.1.' || (i // 250) || '.' || (i % 250 + 1), '10.0.0.9',
          40000, 443, 6, 1, 60, ${T0 + day * DAY + 10}, ${T0 + day * DAY + 20}, 'REJECT', 'OK' FROM range(${n}) t(i)`);
      for (let d = 0; d < 7; d++) {
        await add('eni-busy', d, 600);
        await add('eni-quiet', d, 60);
      }
      for (const eni of ['eni-busy', 'eni-quiet', 'eni-new']) await add(eni, 7, 900);
      const fired: AlertEvent[] = [];
      const config = parseAlertsConfig({ rules: { 'reject-spike-source': { enabled: false } } });
      await backtest(con, config, {}, (events) => {
        for (const e of events)
          if (e.kind === 'fired' && e.alert.rule === 'reject-spike-interface') fired.push(e);
      });
      console.log(
        fired.map(
          (e) =>
            `${e.alert.key} ${e.alert.first_seen} ${e.alert.count} ${JSON.stringify(e.alert.details.baseline)}`,
        ),
      );
      const byKey = new Map(fired.map((e) => [`${e.alert.key} ${e.alert.first_seen.slice(0, 10)}`, e.alert]));
      // days 0–6 of eni-busy: no earlier day or a baseline of 600 → only day 0 fires on the threshold alone
      assert.ok(byKey.has('eni-busy 2026-06-01'));
      assert.ok(!byKey.has('eni-busy 2026-06-08'), 'under 5 × its baseline');
      const quiet = byKey.get('eni-quiet 2026-06-08');
      assert.ok(quiet, 'over 5 × its baseline');
      assert.equal(quiet.details.baseline, 60);
      assert.equal(quiet.details.baseline_factor, 5);
      // no records of eni-new on earlier days: they count as 0, so the threshold decides
      assert.equal(byKey.get('eni-new 2026-06-08')?.details.baseline, 0);
    } finally {
      con.closeSync();
      instance.closeSync();
    }
  });

  it('streams with baselines from the store of --to store: previous days read at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-baseline-'));
    try {
      const header =
        'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
      const lines = (eni: string, day: number, n: number): string[] =>
        Array.from(
          { length: n },
          (_, i) =>
            `2 123456789012 ${eni} 10.1.${i >> 8}.${(i & 255) + 1} 10.0.0.9 40000 443 6 1 60 ${T0 + day * DAY + 10} ${T0 + day * DAY + 20} REJECT OK`,
        );
      // the same days as above: seven days in the store first, then day 8 streamed into it
      const history = [header];
      for (let d = 0; d < 7; d++) history.push(...lines('eni-busy', d, 600), ...lines('eni-quiet', d, 60));
      writeFileSync(join(dir, 'history.log'), `${history.join('\n')}\n`);
      const today = [header, ...['eni-busy', 'eni-quiet', 'eni-new'].flatMap((eni) => lines(eni, 7, 900))];
      writeFileSync(join(dir, 'today.log'), `${today.join('\n')}\n`);
      const db = join(dir, 'flows.duckdb');
      const stored = await cli(['ingest', join(dir, 'history.log'), '--to', 'store', '--db', db, '-q']);
      assert.equal(stored.code, 0, stored.stderr);
      const run = await cli([
        'ingest',
        join(dir, 'today.log'),
        '--to',
        'store',
        '--to',
        'alerts',
        '--db',
        db,
        '-q',
      ]);
      assert.equal(run.code, 0, run.stderr);
      const spikes = new Map(
        run.alerts.filter((a) => a.rule === 'reject-spike-interface').map((a) => [a.key, a]),
      );
      assert.ok(!spikes.has('eni-busy'), 'under 5 × its baseline of 600');
      assert.equal(spikes.get('eni-quiet')?.details.baseline, 60);
      assert.equal(spikes.get('eni-new')?.details.baseline, 0);
      // without the store, the threshold alone decides: all three fire
      const alone = await cli(['ingest', join(dir, 'today.log'), '--to', 'alerts', '-q']);
      assert.equal(alone.code, 0, alone.stderr);
      const keys = alone.alerts.filter((a) => a.rule === 'reject-spike-interface').map((a) => a.key);
      assert.deepEqual(keys.sort(), ['eni-busy', 'eni-new', 'eni-quiet']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
