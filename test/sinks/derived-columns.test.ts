import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveOptions } from '../../src/config/options.js';
import { writeSample } from '../../src/generate/index.js';
import { buildStages, INGEST_OPTIONS } from '../../src/pipeline/build.js';
import { runOnce } from '../../src/pipeline/once.js';
import { fileInput } from '../../src/sources/files.js';
import { openStoreReader } from '../../src/store/open.js';

const dir = mkdtempSync(join(tmpdir(), 'flowlens-derived-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Flags = NonNullable<Parameters<typeof resolveOptions>[1]['flags']>;

async function plan(flags: Flags) {
  const options = resolveOptions(INGEST_OPTIONS(), { flags, env: {} });
  return buildStages(options, { env: {}, log: () => undefined });
}

async function run(flags: Flags, inputs: string[]) {
  const options = resolveOptions(INGEST_OPTIONS(), { flags, env: {} });
  return runOnce(inputs.map(fileInput), options, { env: {}, log: () => undefined });
}

describe('enrichers whose columns every sink derives itself', () => {
  it('the uid enricher is left out when the store is the only sink, kept when another sink reads record_uid', async () => {
    const storeOnly = await plan({ db: join(dir, 'a.duckdb') });
    const names = storeOnly.enrichers.map((e) => e.name);
    for (const s of storeOnly.sinks) await s.close();
    assert.ok(!names.includes('uid'), `store only: ${names.join(',')}`);
    assert.ok(names.includes('community-id') && names.includes('geo'), names.join(','));

    const both = await plan({
      db: join(dir, 'b.duckdb'),
      to: ['store', 'ndjson'],
      'ndjson-path': join(dir, 'b.ndjson'),
    });
    const withNdjson = both.enrichers.map((e) => e.name);
    for (const s of both.sinks) await s.close();
    assert.ok(withNdjson.includes('uid'), `store and ndjson: ${withNdjson.join(',')}`);
  });

  it('the store shows the same record_uid either way, and the ndjson sink gets it', async () => {
    const sample = join(dir, 'sample.log.gz');
    await writeSample(sample, { records: 2000, version: '2', seed: 21 });
    const uids = async (db: string): Promise<Map<number, string>> => {
      const reader = await openStoreReader(db);
      try {
        const r = await reader.con.runAndReadAll('SELECT position, record_uid FROM flows');
        return new Map(r.getRowsJS().map((row) => [Number(row[0]), String(row[1])]));
      } finally {
        reader.close();
      }
    };
    const alone = join(dir, 'alone.duckdb');
    const report = await run({ db: alone }, [sample]);
    assert.ok(report.ok);
    const withOut = join(dir, 'with.duckdb');
    const out = join(dir, 'with.ndjson');
    const report2 = await run({ db: withOut, to: ['store', 'ndjson'], 'ndjson-path': out }, [sample]);
    assert.ok(report2.ok);
    const a = await uids(alone);
    const b = await uids(withOut);
    assert.equal(a.size, 2000);
    assert.deepEqual([...a].sort(), [...b].sort());
    // The enricher ran for the ndjson sink: its record_uid is the store's for the same position.
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines.length, 2000);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    const uid = String(first.record_uid);
    assert.match(uid, /^[0-9a-f]{32}$/);
    assert.ok([...a.values()].includes(uid));
  });
});
