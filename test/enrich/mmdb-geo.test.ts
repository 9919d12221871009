/**
 * MmdbSet.geo reads a record's country, city and coordinates straight from the file's bytes;
 * it must answer exactly what `geoRecord(MmdbSet.get(...))` (the `maxmind` reader) answers,
 * for the embedded database and for hand-made files with odd records and every record size.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Reader } from 'maxmind';
import { AddressBook } from '../../src/enrich/address-book.js';
import { defaultCityFiles, geoRecord, MmdbSet } from '../../src/enrich/geo-db.js';
import { MmdbGeo, UNREAD } from '../../src/enrich/mmdb-geo.js';
import { PagedFile } from '../../src/enrich/paged-file.js';
import { type MmdbValue, writeMmdb } from './mmdb-writer.js';
import { writeTestDbs } from './test-dbs.js';

const dir = writeTestDbs().dir;

/** Both answers of a set for every address (parsed as the address book parses them). */
function compare(set: MmdbSet, addresses: readonly string[]): number {
  const book = new AddressBook();
  let found = 0;
  for (const ip of addresses) {
    const e = book.entry(ip);
    const family = book.family[e]!;
    assert.ok(family !== 0, ip);
    const expected = geoRecord(set.get(ip, family === 6));
    assert.deepEqual(set.geo(ip, book.words, 4 * e, family === 6), expected, ip);
    if (expected) found++;
  }
  return found;
}

/**
 * MmdbGeo on its own against the maxmind reader of the same file: the same tree shape from the
 * metadata, a record for the same addresses, and for every map record the same values, read
 * without falling back (UNREAD is only for records that are not maps). The file is read in pages
 * of `pageSize` bytes, at most `maxBytes` of them held, so small values make values straddle
 * pages and pages give way while a record is read. Returns how many addresses had a map record.
 */
function compareFile(
  path: string,
  addresses: readonly string[],
  pageSize?: number,
  maxBytes?: number,
): number {
  const reader = new Reader<Record<string, unknown>>(readFileSync(path));
  const file = new PagedFile(path, pageSize, maxBytes);
  const lean = new MmdbGeo(file);
  const { nodeCount, recordSize, ipVersion, searchTreeSize } = reader.metadata;
  assert.deepEqual(lean.shape, { nodeCount, recordSize, ipVersion, searchTreeSize });
  const book = new AddressBook();
  let maps = 0;
  for (const ip of addresses) {
    const e = book.entry(ip);
    const rec = reader.get(ip);
    const offset = lean.find(book.words, 4 * e, book.family[e] === 6);
    // a record is never null: null is "no network holds the address"
    assert.equal(offset >= 0, rec !== null, ip);
    if (offset < 0) continue;
    if (typeof rec === 'object' && rec !== null && !Array.isArray(rec)) {
      maps++;
      assert.deepEqual(lean.geoAt(offset), geoRecord(rec), ip);
    } else assert.equal(lean.geoAt(offset), UNREAD, ip);
  }
  if (maxBytes !== undefined) assert.ok(file.heldBytes <= maxBytes, 'the pages held stay within the bound');
  file.close();
  return maps;
}

/** Deterministic pseudo-random numbers below `max`. */
function numbers(seed: number): (max: number) => number {
  let x = seed;
  return (max) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return Math.floor((x / 2 ** 32) * max);
  };
}

test('the embedded DB-IP database: the same answers as the maxmind reader', async () => {
  const files = defaultCityFiles();
  assert.ok(files, 'the embedded database is installed');
  const set = new MmdbSet();
  await set.addDefault(files.v4, 4, 'embedded', true);
  await set.addDefault(files.v6, 6, 'embedded', true);
  const next = numbers(7);
  const addresses = ['8.8.8.8', '1.1.1.1', '2001:4860:4860::8888', '::ffff:8.8.4.4', '64:ff9b::808:808'];
  for (let i = 0; i < 4000; i++) {
    if (i % 4 === 3) {
      const groups = [0x2000 + next(0x2000), ...Array.from({ length: 7 }, () => next(65536))];
      addresses.push(groups.map((g) => g.toString(16)).join(':'));
    } else addresses.push(`${1 + next(223)}.${next(256)}.${next(256)}.${next(256)}`);
  }
  assert.ok(compare(set, addresses) > 3000, 'most public addresses are in the database');
  const v4 = addresses.filter((a) => !a.includes(':'));
  // the IPv6 file holds no IPv4 networks, and about half of random global IPv6 addresses
  assert.ok(compareFile(files.v4, v4) > 2500);
  assert.ok(compareFile(files.v6, addresses) > 400);
  // few, small pages: most reads load a page, and records straddle pages
  assert.ok(compareFile(files.v4, v4.slice(0, 500), 16, 4096) > 300);
  assert.ok(compareFile(files.v6, addresses.slice(0, 500), 64, 8192) > 50);
});

const odd: [string, MmdbValue][] = [
  // ip-location-db layout
  ['1.0.0.0/24', { country_code: 'AU', city: 'Brisbane', latitude: -27.46794, longitude: 153.02809 }],
  // GeoLite2 layout
  [
    '2.0.0.0/24',
    {
      country: { iso_code: 'FR', names: { en: 'France' } },
      city: { names: { de: 'Paris', en: 'Paris' } },
      location: { latitude: 48.85341, longitude: 2.3488, accuracy_radius: 5 },
    },
  ],
  // country an array: an object, so registered_country is not consulted
  ['3.0.0.0/24', { country: ['x'], registered_country: { iso_code: 'DE' } }],
  // no country: registered_country's
  ['4.0.0.0/24', { registered_country: { iso_code: 'DE' }, city: 'Zürich' }],
  // an empty country_code falls back to country.iso_code
  ['5.0.0.0/24', { country_code: '', country: { iso_code: 'IT' } }],
  // a top-level latitude of the wrong type wins over location's; longitude from location
  ['6.0.0.0/24', { latitude: '12.5', location: { latitude: 1, longitude: 3.25 } }],
  // whole-number and boolean coordinates, a city without an English name
  ['7.0.0.0/24', { latitude: 45, longitude: true, city: { names: { de: 'München' } } }],
  // nested values of every kind around the ones read
  [
    '8.0.0.0/24',
    {
      a: [1, 'two', [3], { four: 4 }],
      country: { names: { en: 'Spain' }, iso_code: 'ES', is_in_european_union: true },
      b: { c: { d: 'e' } },
      city: { names: { en: '' } },
      location: { longitude: -3.70379, latitude: 40.41678 },
    },
  ],
  // records that are not maps
  ['9.0.0.0/24', 'just text'],
  ['10.0.0.0/24', 0],
  ['11.0.0.0/24', [1, 2]],
  // a long string (size in an extra byte) and an empty map
  ['12.0.0.0/24', { city: 'x'.repeat(300), country_code: 'y'.repeat(40) }],
  ['13.0.0.0/24', {}],
  ['2001:db8::/32', { country_code: 'NL', city: 'Amsterdam', latitude: 52.37403, longitude: 4.88969 }],
];

const addresses = ['1.0.0.1', '2.0.0.2', '3.0.0.3', '4.0.0.4', '5.0.0.5', '6.0.0.6', '7.0.0.7', '8.0.0.8'];
const others = ['9.0.0.9', '10.0.0.10', '11.0.0.11', '12.0.0.12', '13.0.0.13', '14.0.0.14', '2001:db8::1'];

test('hand-made files of every record size: odd records answer as the maxmind reader does', () => {
  for (const size of [24, 28, 32] as const) {
    for (const version of [4, 6] as const) {
      const path = join(dir, `odd-${size}-${version}.mmdb`);
      const bytes = writeMmdb(version, version === 4 ? odd.filter(([c]) => !c.includes(':')) : odd, size);
      writeFileSync(path, bytes);
      const set = new MmdbSet();
      set.addFile(path, '--geoip-db');
      const all = [...addresses, ...others.filter((a) => version === 6 || !a.includes(':'))];
      compare(set, all);
      const maps = addresses.length + 2 + (version === 6 ? 1 : 0);
      assert.equal(compareFile(path, all), maps);
      assert.equal(compareFile(path, all, 8, 64), maps);
      const book = new AddressBook();
      const at = (ip: string) => 4 * book.entry(ip);
      // spot checks, so a wrong answer given both ways still fails
      assert.equal(set.geo('3.0.0.3', book.words, at('3.0.0.3'), false)?.country, null);
      assert.equal(set.geo('4.0.0.4', book.words, at('4.0.0.4'), false)?.country, 'DE');
      assert.equal(set.geo('4.0.0.4', book.words, at('4.0.0.4'), false)?.city, 'Zürich');
      assert.deepEqual(set.geo('6.0.0.6', book.words, at('6.0.0.6'), false), {
        country: null,
        city: null,
        lat: null,
        lon: 3.25,
      });
      assert.equal(set.geo('8.0.0.8', book.words, at('8.0.0.8'), false)?.lat, 40.4168);
      assert.equal(set.geo('14.0.0.14', book.words, at('14.0.0.14'), false), null);
    }
  }
});

test('a record that is zero counts as no answer: the next file answers', () => {
  const zero = join(dir, 'zero.mmdb');
  const real = join(dir, 'real.mmdb');
  writeFileSync(zero, writeMmdb(4, [['10.0.0.0/24', 0]]));
  writeFileSync(real, writeMmdb(4, [['10.0.0.0/24', { country_code: 'SE' }]]));
  const set = new MmdbSet();
  // IPv4 files are asked last-added first
  set.addFile(real, '--geoip-db');
  set.addFile(zero, '--geoip-db');
  compare(set, ['10.0.0.10']);
  const book = new AddressBook();
  assert.equal(set.geo('10.0.0.10', book.words, 4 * book.entry('10.0.0.10'), false)?.country, 'SE');
});
