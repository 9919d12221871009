import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUILTIN_RULES } from '../../src/alerts/rules/builtin.js';
import { writeSample } from '../../src/generate/index.js';
import { cli, overlaps } from './helpers.js';

/** Clean background of this size may raise at most this many alerts (seed 1 raises none). */
const CLEAN_RECORDS = 1_000_000;
const CLEAN_MAX_ALERTS = 5;

describe('alert scenarios (generate --attacks ground truth)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flowlens-alerts-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fires every injected scenario with its key, in its window', async () => {
    const path = join(dir, 'attacks.log');
    const truth = await writeSample(path, { records: 60_000, attacks: true, seed: 7 });
    const scenarios = truth.scenarios ?? [];
    assert.equal(scenarios.length, 13);
    // every built-in rule that runs by default has a scenario, except the store-only baselines' twins
    const covered = new Set(scenarios.map((s) => s.rule));
    for (const r of BUILTIN_RULES) {
      if (r.enabled && r.id !== 'reject-spike-source')
        assert.ok(covered.has(r.id), `no scenario for ${r.id}`);
    }
    // a run of 60,000 records spans 5 hours: learn an interface's countries and ASes for one
    const config = join(dir, 'alerts.yaml');
    writeFileSync(
      config,
      'rules:\n  new-peer-country:\n    learning_seconds: 3600\n  new-peer-asn:\n    learning_seconds: 3600\n',
    );
    const run = await cli(['ingest', path, '--to', 'alerts', '--alerts-config', config, '-q']);
    assert.equal(run.code, 0, run.stderr);
    for (const s of scenarios) {
      const hit = run.alerts.find((a) => a.rule === s.rule && a.key === s.key && overlaps(a, s.from, s.to));
      assert.ok(hit, `${s.scenario}: no ${s.rule} alert for ${s.key} in ${s.from}..${s.to}`);
      assert.ok(hit.count >= 1 && hit.sample_uids.length >= 1);
      assert.match(hit.sample_uids[0]!, /^[0-9a-f]{32}$/);
    }
    // the summary on stderr counts them
    const summary = JSON.parse(run.stderr.trimEnd().split('\n').pop()!) as {
      sinks: Array<{ name: string; details: Record<string, number> }>;
    };
    assert.equal(summary.sinks[0]!.details.alerts, run.alerts.length);
  });

  it(`raises at most ${CLEAN_MAX_ALERTS} alerts over ${CLEAN_RECORDS} records of clean background`, async () => {
    const path = join(dir, 'clean.log');
    const truth = await writeSample(path, { records: CLEAN_RECORDS, clean: true, seed: 1 });
    assert.equal(truth.records, CLEAN_RECORDS);
    const run = await cli(['ingest', path, '--to', 'alerts', '-q']);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(
      run.alerts.length <= CLEAN_MAX_ALERTS,
      `${run.alerts.length} alerts: ${run.alerts.map((a) => `${a.rule} ${a.key}`).join(', ')}`,
    );
    const summary = JSON.parse(run.stderr.trimEnd().split('\n').pop()!) as {
      records: number;
      sinks: Array<{ delivered: number }>;
    };
    assert.equal(summary.sinks[0]!.delivered, CLEAN_RECORDS);
  });
});
