import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine, resolveOptions } from '../../src/config/options.js';
import { buildEnrichers, ENRICH_OPTIONS, selectedEnrichers } from '../../src/enrich/index.js';
import { schemaOptionsFrom } from '../../src/schema/options.js';

const resolve = (argv: string[], env: Record<string, string> = {}) =>
  resolveOptions(ENRICH_OPTIONS, { flags: parseCommandLine(argv, ENRICH_OPTIONS).flags, env });

test('flags: --disable-enrich repeatable, --enrich comma-separated', () => {
  const o = resolve(['--disable-enrich', 'geo', '--disable-enrich', 'uid']);
  assert.deepEqual(selectedEnrichers(o), ['protocol', 'tcp-flags', 'network', 'community-id']);
  assert.deepEqual(selectedEnrichers(resolve(['--enrich', 'network,protocol'])), ['protocol', 'network']);
});

test('environment: FLOWLENS_ENRICH, FLOWLENS_DISABLE_ENRICH, FLOWLENS_COMMUNITY_ID_SEED, FLOWLENS_OTEL_*', () => {
  const o = resolve([], {
    FLOWLENS_ENRICH: 'protocol,community-id,geo',
    FLOWLENS_DISABLE_ENRICH: 'geo',
    FLOWLENS_COMMUNITY_ID_SEED: '7',
    FLOWLENS_OTEL_TIME: 'start',
    FLOWLENS_OTEL_BODY: 'none',
  });
  assert.deepEqual(selectedEnrichers(o), ['protocol', 'community-id']);
  assert.equal(o['community-id-seed'], 7);
  assert.deepEqual(schemaOptionsFrom(o), { timeField: 'start', body: 'none' });
  assert.deepEqual(schemaOptionsFrom(resolve([])), { timeField: 'end', body: 'line' });
});

test('bad values fail at start naming the setting', async () => {
  assert.throws(
    () => resolve(['--community-id-seed', '70000']),
    /--community-id-seed: must be at most 65535/,
  );
  assert.throws(() => resolve(['--otel-body', 'full']), /--otel-body: expected one of line, summary, none/);
  assert.throws(
    () => resolve([], { FLOWLENS_GEO_CACHE_SIZE: '0' }),
    /FLOWLENS_GEO_CACHE_SIZE: must be at least 1/,
  );
  await assert.rejects(
    buildEnrichers(resolve(['--enrich', 'protocol,bogus'])),
    /--enrich: unknown enricher "bogus"/,
  );
});

test('the seed changes the community id', async () => {
  const { makeBatch } = await import('./make-batch.js');
  const b = makeBatch('srcaddr dstaddr srcport dstport protocol', ['1.2.3.4 5.6.7.8 1122 3344 6']);
  for (const e of await buildEnrichers(resolve(['--enrich', 'community-id', '--community-id-seed', '1'])))
    e.enrich(b);
  assert.equal(b.str('community_id', 0), '1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=');
});
