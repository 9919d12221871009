import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { backtest } from '../../src/alerts/backtest.js';
import type { AlertEvent } from '../../src/alerts/book.js';
import { parseAlertsConfig } from '../../src/alerts/config.js';

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
});
