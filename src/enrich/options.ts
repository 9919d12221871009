import type { OptionSpec } from '../config/options.js';

/** Every enricher, in the order they run. */
export const ENRICHER_NAMES = ['protocol', 'tcp-flags', 'network', 'geo', 'community-id', 'uid'] as const;
export type EnricherName = (typeof ENRICHER_NAMES)[number];

export const ENRICHER_OPTIONS = [
  {
    name: 'enrich',
    type: 'string',
    multiple: true,
    default: [...ENRICHER_NAMES],
    description: `Enrichers to run, comma-separated or repeated: ${ENRICHER_NAMES.join(', ')}, all, none`,
    placeholder: 'names',
  },
  {
    name: 'disable-enrich',
    type: 'string',
    multiple: true,
    description: 'Enrichers to turn off (e.g. --disable-enrich geo), comma-separated or repeated',
    placeholder: 'names',
  },
  {
    name: 'geoip-db',
    type: 'path',
    multiple: true,
    description:
      'City/country MMDB file (MaxMind GeoLite2/GeoIP2 or ip-location-db layout) instead of the embedded DB-IP Lite',
    placeholder: 'file',
  },
  {
    name: 'asn-db',
    type: 'path',
    multiple: true,
    description:
      'ASN MMDB file (MaxMind GeoLite2-ASN or ip-location-db layout) instead of the embedded ip-location-db ASN table; "none" turns ASN lookups off',
    placeholder: 'file',
  },
  {
    name: 'geo-cache-size',
    type: 'int',
    min: 1,
    max: 10_000_000,
    default: 100_000,
    description: 'Distinct addresses whose geo/ASN lookups are kept in memory',
  },
  {
    name: 'community-id-seed',
    type: 'int',
    min: 0,
    max: 65535,
    default: 0,
    description: 'Seed of the Community ID hash',
  },
] as const satisfies readonly OptionSpec[];
