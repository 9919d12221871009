import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUILTIN_RULES } from '../../src/alerts/rules/builtin.js';
import type { Alert } from '../../src/alerts/types.js';
import type { ScenarioTruth } from '../../src/generate/attacks.js';
import { writeSample } from '../../src/generate/index.js';
import { cli, overlaps } from './helpers.js';

describe('flowlens alerts', () => {
  let dir: string;
  let db: string;
  let config: string;
  let scenarios: ScenarioTruth[];
  let streamed: Alert[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowlens-backtest-'));
    const log = join(dir, 'attacks.log');
    scenarios = (await writeSample(log, { records: 60_000, attacks: true, seed: 3 })).scenarios ?? [];
    db = join(dir, 'flows.duckdb');
    config = join(dir, 'alerts.yaml');
    writeFileSync(
      config,
      [
        'rules:',
        '  new-peer-country: { learning_seconds: 3600 }',
        '  new-peer-asn: { learning_seconds: 3600 }',
        'custom:',
        '  - id: busy-sources',
        '    title: Sources with many rejected records',
        '    severity: low',
        '    window: 3600',
        '    threshold: 1000',
        '    sql: SELECT srcaddr AS key, count(*) AS count FROM flows WHERE action = \'REJECT\' AND "end" >= {start} AND "end" < {end} GROUP BY srcaddr',
        '',
      ].join('\n'),
    );
    // one run stores the records and evaluates the stream
    const run = await cli([
      'ingest',
      log,
      '--to',
      'store',
      '--to',
      'alerts',
      '--db',
      db,
      '--alerts-config',
      config,
      '-q',
    ]);
    assert.equal(run.code, 0, run.stderr);
    streamed = run.alerts;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('backtests the rules over the store: every scenario, the same shape as the stream', async () => {
    const run = await cli(['alerts', 'run', '--db', db, '--alerts-config', config, '--json']);
    assert.equal(run.code, 0, run.stderr);
    for (const s of scenarios) {
      assert.ok(
        run.alerts.some((a) => a.rule === s.rule && a.key === s.key && overlaps(a, s.from, s.to)),
        `${s.scenario}: no ${s.rule} ${s.key}`,
      );
    }
    const streamedKeys = new Set(streamed.map((a) => `${a.rule} ${a.key} ${a.first_seen}`));
    const backtested = run.alerts.filter((a) => a.rule !== 'busy-sources');
    assert.deepEqual(new Set(backtested.map((a) => `${a.rule} ${a.key} ${a.first_seen}`)), streamedKeys);
    for (const a of run.alerts) assert.deepEqual(Object.keys(a), Object.keys(streamed[0]!));
    // the same ids: a backtest names the alerts a stream raised
    assert.deepEqual(new Set(backtested.map((a) => a.id)), new Set(streamed.map((a) => a.id)));
    // the SQL rule ran window by window: the reject storm's sources are spread, none reaches 1000
    assert.equal(run.alerts.filter((a) => a.rule === 'busy-sources').length, 0);
  });

  it('limits a backtest to --since/--until', async () => {
    const s = scenarios.find((x) => x.rule === 'mining-pool')!;
    const run = await cli(['alerts', 'run', '--db', db, '--since', s.from, '--until', s.to, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.alerts.some((a) => a.rule === 'mining-pool' && a.key === s.key));
    assert.ok(run.alerts.every((a) => a.first_seen >= s.from && a.first_seen < s.to));
  });

  it('fails a SQL rule that does not return key and count, naming it', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'custom:\n  - id: no-key\n    sql: SELECT 1 AS n FROM flows\n');
    const run = await cli(['alerts', 'run', '--db', db, '--alerts-config', bad]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /alert rule "no-key": the query must return key and count/);
  });

  it('lists every rule with its defaults', async () => {
    const run = await cli(['alerts', 'list', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const listed = run.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            id: string;
            enabled: boolean;
            mitre: string;
            windowSeconds: number;
            settings: Record<string, unknown>;
          },
      );
    for (const b of BUILTIN_RULES) {
      const r = listed.find((x) => x.id === b.id);
      assert.ok(r, b.id);
      assert.equal(r.enabled, b.enabled);
      assert.equal(r.mitre, b.mitre);
      assert.equal(r.windowSeconds, b.defaults.window);
      assert.equal(r.settings.threshold, b.defaults.threshold);
    }
    assert.ok(listed.some((x) => x.id === 'data-loss-malformed'));
  });

  it('refuses an invalid rule at start with its name and the reason', async () => {
    const bad = join(dir, 'bad2.yaml');
    writeFileSync(bad, 'rules:\n  port-scan-vertical:\n    threshold: many\n');
    const run = await cli(['ingest', join(dir, 'attacks.log'), '--to', 'alerts', '--alerts-config', bad]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /alert rule "port-scan-vertical": threshold: expected a number/);
  });
});
