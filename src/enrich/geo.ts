import type { FlowBatch, NumColumn, StrColumn } from '../batch/flow-batch.js';
import type { Enricher } from '../pipeline/types.js';
import { type AsnSource, type AsRecord, type GeoRecord, geoRecord, type MmdbSet } from './geo-db.js';
import { addressClasses } from './network.js';
import { NC } from './network-class.js';

export const GEO_COLUMNS = [
  'src_country',
  'dst_country',
  'src_city',
  'dst_city',
  'src_lat',
  'src_lon',
  'dst_lat',
  'dst_lon',
] as const;
export const ASN_COLUMNS = ['src_asn', 'dst_asn', 'src_as_org', 'dst_as_org'] as const;

interface Lookup {
  readonly geo: GeoRecord | null;
  readonly as: AsRecord | null;
}

const NONE: Lookup = { geo: null, as: null };

/** A bounded map of address → lookup; the oldest entry goes first when it is full. */
class LookupCache {
  private readonly map = new Map<string, Lookup>();

  constructor(private readonly max: number) {}

  get(ip: string): Lookup | undefined {
    return this.map.get(ip);
  }

  set(ip: string, value: Lookup): void {
    if (this.map.size >= this.max) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(ip, value);
  }
}

export interface GeoOptions {
  readonly city: MmdbSet | null;
  readonly asn: AsnSource | null;
  readonly cacheSize: number;
}

/** Interns values into one string column dictionary per batch. */
class DictBuilder {
  readonly dict: string[] = [''];
  private readonly codes = new Map<string, number>();

  code(value: string | null): number {
    if (value === null) return 0;
    let c = this.codes.get(value);
    if (c === undefined) {
      c = this.dict.length;
      this.dict.push(value);
      this.codes.set(value, c);
    }
    return c;
  }
}

/**
 * Country, city, coordinates and AS of public addresses (only public: private, shared,
 * documentation… addresses are never looked up). Lookups are cached per distinct address
 * across batches, and each batch resolves each distinct address once.
 */
export function geoEnricher(options: GeoOptions): Enricher {
  const cache = new LookupCache(options.cacheSize);
  const withCity = options.city !== null;
  const withAsn = options.asn !== null;

  const lookup = (ip: string): Lookup => {
    const hit = cache.get(ip);
    if (hit) return hit;
    const isV6 = ip.includes(':');
    const value: Lookup = {
      geo: options.city ? geoRecord(options.city.get(ip, isV6)) : null,
      as: options.asn ? options.asn.get(ip, isV6) : null,
    };
    cache.set(ip, value.geo || value.as ? value : NONE);
    return value;
  };

  const columns = [...(withCity ? GEO_COLUMNS : []), ...(withAsn ? ASN_COLUMNS : [])];
  return {
    name: 'geo',
    columns,
    enrich(batch: FlowBatch): void {
      const { table, classes } = addressClasses(batch);
      const ids = table.values.length;
      // Per distinct address: its codes in each output dictionary and its numbers.
      const countries = new DictBuilder();
      const cities = new DictBuilder();
      const orgs = new DictBuilder();
      const countryOf = new Uint32Array(ids);
      const cityOf = new Uint32Array(ids);
      const orgOf = new Uint32Array(ids);
      const latOf = new Float64Array(ids).fill(Number.NaN);
      const lonOf = new Float64Array(ids).fill(Number.NaN);
      const asnOf = new Float64Array(ids).fill(Number.NaN);
      for (let id = 1; id < ids; id++) {
        if (classes[id] !== NC.public) continue;
        const hit = lookup(table.values[id]!);
        if (hit.geo) {
          countryOf[id] = countries.code(hit.geo.country);
          cityOf[id] = cities.code(hit.geo.city);
          latOf[id] = hit.geo.lat ?? Number.NaN;
          lonOf[id] = hit.geo.lon ?? Number.NaN;
        }
        if (hit.as) {
          orgOf[id] = orgs.code(hit.as.org);
          asnOf[id] = hit.as.asn ?? Number.NaN;
        }
      }
      const n = batch.length;
      const made = new Map<string, StrColumn | NumColumn>();
      for (const [prefix, rowIds] of [
        ['src', table.srcIds],
        ['dst', table.dstIds],
      ] as const) {
        // One pass over the rows fills every column of this side.
        const country = new Uint32Array(n);
        const city = new Uint32Array(n);
        const org = withAsn ? new Uint32Array(n) : null;
        const lat = new Float64Array(n);
        const lon = new Float64Array(n);
        const asn = withAsn ? new Float64Array(n) : null;
        for (let i = 0; i < n; i++) {
          const id = rowIds[i]!;
          country[i] = countryOf[id]!;
          city[i] = cityOf[id]!;
          lat[i] = latOf[id]!;
          lon[i] = lonOf[id]!;
          if (org && asn) {
            org[i] = orgOf[id]!;
            asn[i] = asnOf[id]!;
          }
        }
        made.set(`${prefix}_country`, { kind: 'str', codes: country, dict: countries.dict });
        made.set(`${prefix}_city`, { kind: 'str', codes: city, dict: cities.dict });
        made.set(`${prefix}_lat`, { kind: 'num', values: lat });
        made.set(`${prefix}_lon`, { kind: 'num', values: lon });
        if (org && asn) {
          made.set(`${prefix}_asn`, { kind: 'num', values: asn });
          made.set(`${prefix}_as_org`, { kind: 'str', codes: org, dict: orgs.dict });
        }
      }
      for (const name of columns) batch.extra.set(name, made.get(name)!);
    },
  };
}
