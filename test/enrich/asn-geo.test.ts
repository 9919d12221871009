import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ConfigError } from '../../src/config/options.js';
import { EmbeddedAsn, loadAsnRanges } from '../../src/enrich/asn-ranges.js';
import { geoEnricher } from '../../src/enrich/geo.js';
import { buildEnrichers } from '../../src/enrich/index.js';
import { makeBatch } from './make-batch.js';
import { writeTestDbs } from './test-dbs.js';

const HEADER = 'srcaddr dstaddr pkt-srcaddr pkt-dstaddr';
const FIXTURES = join(import.meta.dirname, '../fixtures/enrich/asn');
const fixture = { v4: join(FIXTURES, 'asn-ipv4-num.csv'), v6: join(FIXTURES, 'asn-ipv6-num.csv') };

test('geo gives src_asn/dst_asn/src_as_org/dst_as_org by default, from the embedded table', async () => {
  const batch = makeBatch(HEADER, [
    '1.0.0.1 10.0.0.5 - -',
    '10.0.0.5 2606:4700:4700::1111 - -',
    '10.0.0.5 10.0.0.6 - -',
  ]);
  const warnings: string[] = [];
  for (const e of await buildEnrichers({ enrich: ['geo'] }, { warn: (m) => warnings.push(m) }))
    e.enrich(batch);
  assert.equal(batch.num('src_asn', 0), 13335);
  assert.equal(batch.str('src_as_org', 0), 'Cloudflare, Inc.');
  assert.equal(batch.num('dst_asn', 0), null);
  assert.equal(batch.str('dst_as_org', 0), null);
  assert.equal(batch.num('dst_asn', 1), 13335);
  assert.equal(batch.num('src_asn', 2), null);
  assert.equal(batch.num('dst_asn', 2), null);
  assert.equal(batch.row(0).src_asn, 13335, 'the raw record carries the column');
  assert.deepEqual(warnings, []);
});

test('private and other non-public addresses are never looked up', () => {
  const warnings: string[] = [];
  const asn = new EmbeddedAsn(fixture, (m) => warnings.push(m));
  // The fixture table does have 10/8 (AS64512): only the address class keeps it out.
  assert.equal(loadAsnRanges(fixture).lookup('10.1.2.3', false)?.asn, 64512);
  const batch = makeBatch(HEADER, ['10.1.2.3 8.8.8.8 - -', '10.0.0.220 10.0.1.5 1.0.0.7 10.0.1.5']);
  geoEnricher({ city: null, asn, cacheSize: 16 }).enrich(batch);
  assert.equal(batch.num('src_asn', 0), null);
  assert.equal(batch.num('dst_asn', 0), 15169);
  assert.equal(batch.str('dst_as_org', 0), 'Google LLC');
  // The original (pkt-*) source is the one looked up.
  assert.equal(batch.num('src_asn', 1), 13335);
  assert.equal(batch.num('dst_asn', 1), null);
  assert.equal(batch.has('src_country'), false, 'without a city database, only the ASN columns');
  assert.deepEqual(warnings, []);
});

test('--asn-db FILE wins over the embedded table', async () => {
  const dbs = writeTestDbs();
  const batch = makeBatch(HEADER, ['1.1.1.1 10.0.0.1 - -', '1.0.0.1 10.0.0.1 - -']);
  for (const e of await buildEnrichers({ enrich: ['geo'], 'asn-db': [dbs.asn] })) e.enrich(batch);
  assert.equal(batch.str('src_as_org', 0), 'CLOUDFLARENET', 'the test MMDB names it so; the CSV does not');
  // 1.0.0.0/24 is in the embedded table but not in the user's file: no fallback.
  assert.equal(batch.num('src_asn', 1), null);
});

test('--asn-db none turns the ASN columns off; it cannot be mixed with files', async () => {
  for (const value of [['none'], ['NONE'], 'none']) {
    const batch = makeBatch(HEADER, ['1.0.0.1 10.0.0.1 - -']);
    for (const e of await buildEnrichers({ enrich: ['geo'], 'asn-db': value })) e.enrich(batch);
    assert.equal(batch.has('src_asn'), false, String(value));
    assert.equal(batch.has('src_as_org'), false, String(value));
    assert.match(batch.str('src_country', 0) ?? '', /^[A-Z]{2}$/, 'the city lookup still runs');
  }
  await assert.rejects(
    buildEnrichers({ enrich: ['geo'], 'asn-db': ['none', '/x/asn.mmdb'] }),
    (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^--asn-db: "none" .* cannot be combined with files/);
      return true;
    },
  );
});

test('unreadable embedded files: one warning, null ASN columns, the run goes on', () => {
  const warnings: string[] = [];
  const asn = new EmbeddedAsn(
    { v4: '/nonexistent/asn-ipv4-num.csv', v6: '/nonexistent/asn-ipv6-num.csv' },
    (m) => warnings.push(m),
  );
  const enricher = geoEnricher({ city: null, asn, cacheSize: 16 });
  for (let i = 0; i < 2; i++) {
    const batch = makeBatch(HEADER, ['1.0.0.1 8.8.8.8 - -']);
    enricher.enrich(batch);
    assert.equal(batch.num('src_asn', 0), null);
    assert.equal(batch.str('dst_as_org', 0), null);
  }
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0]!,
    /embedded ASN table unavailable.*\/nonexistent\/asn-ipv4-num\.csv.*--asn-db none/,
  );
});

test('bundled without the packages (as in the Lambda zip): one warning per database, no geo columns', async () => {
  // A bundle outside the repository cannot resolve @ip-location-db/*, like the Lambda package.
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-asn-bundle-'));
  try {
    const outfile = join(dir, 'enrich.mjs');
    await build({
      entryPoints: [join(import.meta.dirname, '../../src/enrich/index.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
      banner: {
        js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);",
      },
    });
    const bundled = (await import(pathToFileURL(outfile).href)) as { buildEnrichers: typeof buildEnrichers };
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    // No city database either: no geo enricher at all, and no crash.
    assert.deepEqual(await bundled.buildEnrichers({ enrich: ['geo'] }, { warn }), []);
    assert.deepEqual(await bundled.buildEnrichers({ enrich: ['geo'] }, { warn }), []);
    // one warning per missing database, once per process
    assert.equal(warnings.length, 2, 'warned once per process and database');
    assert.ok(
      warnings.some((w) => /dbip-city-mmdb\) is not installed.*--geoip-db \(FLOWLENS_GEOIP_DB\)/.test(w)),
    );
    assert.ok(
      warnings.some((w) => /@ip-location-db\/asn\) is not installed.*--asn-db \(FLOWLENS_ASN_DB\)/.test(w)),
    );
    // With a configured city file, geo runs without the ASN columns.
    const dbs = writeTestDbs();
    const [geo] = await bundled.buildEnrichers({ enrich: ['geo'], 'geoip-db': [dbs.city] }, { warn });
    assert.ok(geo);
    assert.equal(geo.columns.includes('src_asn'), false);
    assert.equal(geo.columns.includes('src_country'), true);
    // --asn-db none says the user knows: nothing more to warn about.
    await bundled.buildEnrichers({ enrich: ['geo'], 'asn-db': ['none'] }, { warn });
    assert.equal(warnings.length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
