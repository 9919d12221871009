import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Enricher } from '../../src/core/types.js';
import { buildEnrichers } from '../../src/enrich/index.js';
import { writeMmdb } from './mmdb-writer.js';

const city = (iso: string, name: string, lat: number, lon: number) => ({
  country: { iso_code: iso, names: { en: iso === 'US' ? 'United States' : iso } },
  city: { names: { en: name } },
  location: { latitude: lat, longitude: lon, accuracy_radius: 100 },
});

/**
 * Small databases with known answers: a GeoLite2-City-layout IPv6 database, a GeoLite2-ASN-layout
 * IPv4 database, and an ip-location-db (DB-IP) flattened-layout city database.
 */
export function writeTestDbs(): { dir: string; city: string; asn: string; flatCity: string } {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-mmdb-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const cityPath = join(dir, 'city.mmdb');
  const asnPath = join(dir, 'asn.mmdb');
  const flatPath = join(dir, 'flat-city.mmdb');
  writeFileSync(
    cityPath,
    writeMmdb(6, [
      ['8.8.8.0/24', city('US', 'Mountain View', 37.4056, -122.0775)],
      ['8.8.4.0/24', city('US', 'Mountain View', 37.4056, -122.0775)],
      ['52.94.0.0/16', city('US', 'Ashburn', 39.0437, -77.4875)],
      ['52.216.0.0/15', city('US', 'Ashburn', 39.0437, -77.4875)],
      ['2001:4860::/32', city('US', 'Mountain View', 37.4056, -122.0775)],
      ['1.1.1.0/24', city('AU', 'Sydney', -33.8688, 151.209)],
    ]),
  );
  writeFileSync(
    asnPath,
    writeMmdb(4, [
      ['8.8.8.0/24', { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' }],
      ['8.8.4.0/24', { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' }],
      ['52.94.0.0/16', { autonomous_system_number: 16509, autonomous_system_organization: 'AMAZON-02' }],
      ['52.216.0.0/15', { autonomous_system_number: 16509, autonomous_system_organization: 'AMAZON-02' }],
      ['1.1.1.0/24', { autonomous_system_number: 13335, autonomous_system_organization: 'CLOUDFLARENET' }],
    ]),
  );
  writeFileSync(
    flatPath,
    writeMmdb(4, [
      [
        '1.1.1.0/24',
        {
          country_code: 'AU',
          state1: 'Queensland',
          state2: '',
          city: 'Brisbane',
          postcode: '',
          latitude: -27.46794,
          longitude: 153.02809,
          timezone: '',
        },
      ],
    ]),
  );
  return { dir, city: cityPath, asn: asnPath, flatCity: flatPath };
}

let shared: ReturnType<typeof writeTestDbs> | undefined;

/** Every enricher, geo and ASN from the test databases (written once per process), Community ID seed 0. */
export function allTestEnrichers(): Promise<Enricher[]> {
  shared ??= writeTestDbs();
  return buildEnrichers({
    enrich: ['all'],
    'geoip-db': [shared.city],
    'asn-db': [shared.asn],
    'community-id-seed': 0,
    'geo-cache-size': 1000,
  });
}
