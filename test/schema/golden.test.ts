import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { documentSchema } from '../../src/schema/index.js';
import { SCHEMA_NAMES } from '../../src/schema/types.js';
import { enrichedFixture, FIXTURE_DIR, FIXTURES } from './fixtures.js';

/**
 * Every schema over every record version, against goldens checked in beside the fixtures.
 * FLOWLENS_UPDATE_GOLDENS=1 rewrites them; a rewritten golden must be reviewed before commit.
 */
const update = process.env.FLOWLENS_UPDATE_GOLDENS === '1';

for (const fixture of FIXTURES) {
  for (const schema of SCHEMA_NAMES) {
    test(`golden: ${schema} of ${fixture}`, async () => {
      const batch = await enrichedFixture(fixture);
      const s = documentSchema(schema);
      const docs = Array.from({ length: batch.length }, (_, i) => s.document(batch, i));
      const file = new URL(`${fixture}.${schema}.json`, FIXTURE_DIR);
      const actual = `${JSON.stringify(docs, null, 2)}\n`;
      if (update || !existsSync(file)) {
        assert.ok(
          update,
          `missing golden ${file.pathname}: run with FLOWLENS_UPDATE_GOLDENS=1 and review it`,
        );
        writeFileSync(file, actual);
      }
      assert.deepEqual(JSON.parse(actual), JSON.parse(readFileSync(file, 'utf8')));
    });
  }
}
