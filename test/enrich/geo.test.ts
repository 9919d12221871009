import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/options.js';
import { ASN_COLUMNS, GEO_COLUMNS } from '../../src/enrich/geo.js';
import { buildEnrichers, selectedEnrichers } from '../../src/enrich/index.js';
import { makeBatch } from './make-batch.js';
import { writeTestDbs } from './test-dbs.js';

const dbs = writeTestDbs();
const HEADER = 'srcaddr dstaddr pkt-srcaddr pkt-dstaddr';

async function enrich(options: Record<string, string[] | string | number>, lines: string[]) {
  const batch = makeBatch(HEADER, lines);
  for (const e of await buildEnrichers({ enrich: ['geo'], ...options })) e.enrich(batch);
  return batch;
}

test('GeoLite2 layout: country, city, coordinates; ASN from a GeoLite2-ASN file', async () => {
  const b = await enrich({ 'geoip-db': [dbs.city], 'asn-db': [dbs.asn] }, [
    '10.0.1.5 8.8.8.8 - -',
    '2001:4860::1 10.0.0.1 - -',
  ]);
  const r = b.row(0);
  assert.equal(r.src_country, null);
  assert.equal(r.dst_country, 'US');
  assert.equal(r.dst_city, 'Mountain View');
  assert.equal(r.dst_lat, 37.4056);
  assert.equal(r.dst_lon, -122.0775);
  assert.equal(r.dst_asn, 15169);
  assert.equal(r.dst_as_org, 'GOOGLE');
  // IPv6 in an IPv6 database; the IPv4-only ASN file has no answer for it
  const r6 = b.row(1);
  assert.equal(r6.src_country, 'US');
  assert.equal(r6.src_asn, null);
});

test('ip-location-db (DB-IP) flattened layout', async () => {
  const b = await enrich({ 'geoip-db': [dbs.flatCity], 'asn-db': ['none'] }, ['1.1.1.1 10.0.0.1 - -']);
  assert.equal(b.str('src_country', 0), 'AU');
  assert.equal(b.str('src_city', 0), 'Brisbane');
  assert.equal(b.num('src_lat', 0), -27.4679);
  assert.equal(b.num('src_lon', 0), 153.0281);
  assert.equal(b.has('src_asn'), false, 'no ASN columns with --asn-db none');
});

test('geo looks up the original (pkt-*) endpoints and only public addresses', async () => {
  const b = await enrich({ 'geoip-db': [dbs.city], 'asn-db': [dbs.asn] }, [
    '10.0.0.220 10.0.1.5 52.94.76.10 10.0.1.5',
    '8.8.8.8 203.0.113.5 - -',
  ]);
  assert.equal(b.str('src_city', 0), 'Ashburn');
  assert.equal(b.num('src_asn', 0), 16509);
  assert.equal(b.str('dst_country', 0), null);
  // documentation range: never looked up, even if a database had it
  assert.equal(b.str('dst_country', 1), null);
});

test('the embedded DB-IP Lite database answers for well-known public addresses', async () => {
  const batch = makeBatch(HEADER, ['8.8.8.8 10.0.0.1 - -', '10.0.0.1 2001:4860:4860::8888 - -']);
  for (const e of await buildEnrichers({ enrich: ['geo'] })) e.enrich(batch);
  // Exact cities move between monthly releases; the country of Google's resolvers does not.
  assert.equal(batch.str('src_country', 0), 'US');
  assert.equal(typeof batch.num('src_lat', 0), 'number');
  assert.match(batch.str('dst_country', 1) ?? '', /^[A-Z]{2}$/);
});

test('a missing or invalid database file fails at start naming the setting', async () => {
  await assert.rejects(buildEnrichers({ 'geoip-db': ['/nonexistent/city.mmdb'] }), (err: Error) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /^--geoip-db: cannot read \/nonexistent\/city\.mmdb/);
    return true;
  });
  const junk = join(dbs.dir, 'junk.mmdb');
  writeFileSync(junk, 'not a database');
  await assert.rejects(buildEnrichers({ 'asn-db': [junk] }), /--asn-db: .*junk\.mmdb is not a MaxMind DB/);
  await assert.rejects(
    buildEnrichers({ 'geoip-db': [junk] }),
    /--geoip-db: .*junk\.mmdb is not a MaxMind DB/,
  );
  // a directory opens, but its bytes cannot be read
  await assert.rejects(buildEnrichers({ 'geoip-db': [dbs.dir] }), (err: Error) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.message, `--geoip-db: cannot read ${dbs.dir} (EISDIR)`);
    return true;
  });
});

test('enricher selection: --enrich lists, --disable-enrich removes, unknown names fail', () => {
  assert.deepEqual(selectedEnrichers({}), ['protocol', 'tcp-flags', 'network', 'geo', 'community-id', 'uid']);
  assert.deepEqual(selectedEnrichers({ enrich: ['uid,protocol'] }), ['protocol', 'uid']);
  assert.deepEqual(selectedEnrichers({ enrich: ['all'], 'disable-enrich': ['geo', 'uid'] }), [
    'protocol',
    'tcp-flags',
    'network',
    'community-id',
  ]);
  assert.deepEqual(selectedEnrichers({ enrich: ['none'] }), []);
  assert.throws(() => selectedEnrichers({ enrich: ['geoip'] }), /--enrich: unknown enricher "geoip"/);
  assert.throws(
    () => selectedEnrichers({ 'disable-enrich': ['x'] }),
    /--disable-enrich: unknown enricher "x"/,
  );
});

test('a cache smaller than the traffic evicts old addresses and still answers every batch alike', async () => {
  const lines = [
    '8.8.8.8 1.1.1.1 - -',
    '52.94.1.2 8.8.4.4 - -',
    '1.1.1.2 52.217.0.9 - -',
    '2001:4860::1 8.8.8.9 - -',
    '9.9.9.9 10.0.0.1 - -', // public, but in no database: null columns
  ];
  const options = { enrich: ['geo'], 'geoip-db': [dbs.city], 'asn-db': [dbs.asn] };
  const columns = ['country', 'city', 'lat', 'lon', 'asn', 'as_org'].flatMap((c) => [`src_${c}`, `dst_${c}`]);
  const rows = (batch: ReturnType<typeof makeBatch>) =>
    Array.from({ length: batch.length }, (_, i) => columns.map((c) => batch.row(i)[c]));
  const [roomy] = await buildEnrichers(options);
  let tiny = roomy;
  for (const size of [1, 2, 3, 5]) {
    [tiny] = await buildEnrichers({ ...options, 'geo-cache-size': size });
    // Several batches, in changing order, so evicted addresses come back and dictionaries restart.
    for (const order of [lines, [...lines].reverse(), lines.slice(2), lines, lines.slice(1, 3)]) {
      const a = makeBatch(HEADER, order);
      const b = makeBatch(HEADER, order);
      roomy!.enrich(a);
      tiny!.enrich(b);
      assert.deepEqual(rows(b), rows(a), `cache size ${size}`);
    }
  }
  const last = makeBatch(HEADER, lines);
  tiny!.enrich(last);
  assert.equal(last.str('dst_city', 2), 'Ashburn');
  assert.equal(last.num('src_asn', 3), null, 'the IPv4-only ASN file has no IPv6 answer');
  assert.equal(last.str('src_country', 3), 'US');
  assert.equal(last.str('src_as_org', 1), 'AMAZON-02');
  assert.equal(last.num('dst_lat', 0), -33.8688);
  assert.equal(last.str('src_country', 4), null);
  assert.equal(last.num('src_lat', 4), null);
});

test('every geo column records how it was spread from per-address values (read by the store)', async () => {
  const b = await enrich({ 'geoip-db': [dbs.city], 'asn-db': [dbs.asn] }, [
    '10.0.1.5 8.8.8.8 - -',
    '2001:4860::1 10.0.0.1 - -',
    '1.1.1.1 8.8.8.8 - -',
    '10.0.0.220 10.0.1.5 52.94.76.10 -',
  ]);
  for (const name of [...GEO_COLUMNS, ...ASN_COLUMNS]) {
    const col = b.column(name);
    assert.ok(col && col.kind !== 'list', name);
    const rows = col.kind === 'str' ? col.codes : col.values;
    const spread = col.spread;
    assert.ok(spread, `${name} has its per-address values`);
    assert.equal(rows.length, b.length);
    for (let i = 0; i < b.length; i++)
      assert.ok(Object.is(rows[i], spread.of[spread.rowIds[i]!]), `${name} row ${i}`);
  }
  assert.equal(b.str('src_city', 3), 'Ashburn');
  assert.equal(b.num('dst_asn', 2), 15169);
});
