import assert from 'node:assert/strict';
import { createReadStream, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { RunStats } from '../../src/core/stats.js';
import { decodeInput } from '../../src/decode/detect.js';
import { buildEnrichers } from '../../src/enrich/index.js';
import { documentSchema } from '../../src/schema/index.js';
import { SCHEMA_NAMES } from '../../src/schema/types.js';
import { writeTestDbs } from '../enrich/test-dbs.js';
import { FIXTURE_DIR, FIXTURES } from './fixtures.js';

/**
 * The same fixtures read by the real decoder (header line, text) instead of the test helper:
 * every schema must give exactly the checked-in goldens.
 */
const dbs = writeTestDbs();

for (const fixture of FIXTURES) {
  test(`decoded ${fixture} matches the goldens of every schema`, async () => {
    const url = new URL(`${fixture}.log`, FIXTURE_DIR);
    const stats = new RunStats();
    const batches: FlowBatch[] = [];
    const input = { ref: { id: `fixtures/${fixture}.log` }, open: () => createReadStream(url) };
    for await (const b of decodeInput(input, { stats, batchSize: 8192 })) batches.push(b);
    assert.equal(stats.malformed, 0);
    const enrichers = await buildEnrichers({ enrich: ['all'], 'geoip-db': [dbs.city], 'asn-db': [dbs.asn] });
    for (const b of batches) for (const e of enrichers) e.enrich(b);
    for (const schema of SCHEMA_NAMES) {
      const s = documentSchema(schema);
      const docs = batches.flatMap((b) => Array.from({ length: b.length }, (_, i) => s.document(b, i)));
      const golden = JSON.parse(readFileSync(new URL(`${fixture}.${schema}.json`, FIXTURE_DIR), 'utf8'));
      assert.deepEqual(JSON.parse(JSON.stringify(docs)), golden, `${fixture} as ${schema}`);
    }
  });
}
