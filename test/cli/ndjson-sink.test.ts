import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RunStats } from '../../src/core/stats.js';
import { create } from '../../src/sinks/ndjson/sink.js';
import { decodeFixture } from '../decode/helpers.js';

describe('ndjson sink', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flowlens-ndjson-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const context = { env: {}, stats: new RunStats(), log: () => undefined };

  it('writes one raw document per record to --ndjson-path', async () => {
    const path = join(dir, 'out.ndjson');
    const sink = await create({ 'ndjson-path': path, schema: 'raw' }, context);
    const d = await decodeFixture('v2.log', { batchSize: 2 });
    for (const b of d.batches) await sink.write(b);
    const result = await sink.close();
    assert.equal(result.delivered, 5);
    assert.deepEqual(result.errors, []);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 5);
    const docs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(docs, d.rows);
    assert.equal(docs[2]!.srcport, null);
    assert.equal(docs[0]!.bytes, 4249);
  });

  it('fails at creation on a path it cannot write, naming the setting', async () => {
    await assert.rejects(
      create({ 'ndjson-path': join(dir, 'missing-dir/out.ndjson') }, context),
      (err: Error) => {
        assert.match(err.message, /^--ndjson-path .*missing-dir\/out\.ndjson: ENOENT/);
        return true;
      },
    );
  });
});
