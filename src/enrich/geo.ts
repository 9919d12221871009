import type { FlowBatch, NumColumn, StrColumn } from '../batch/flow-batch.js';
import type { Enricher } from '../pipeline/types.js';
import { type AsnSource, geoRecord, type MmdbSet } from './geo-db.js';
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

/**
 * How each output column's codes or values were spread over the rows: row i holds
 * `of[rowIds[i]]` (per distinct address). The store codes places and ASes per address, not per row.
 */
export const GEO_ADDRESS_VALUES = new WeakMap<
  Uint32Array | Float64Array,
  { readonly rowIds: Uint32Array; readonly of: Uint32Array | Float64Array }
>();

/**
 * Every text value a lookup produced (countries, cities, AS organisations) with a number, so
 * per-address results are stored as numbers and each batch maps those numbers to its own
 * dictionary codes without hashing a string. It only holds values present in the databases,
 * so its size is bounded by them, whatever the traffic.
 */
class TextIds {
  readonly texts: string[] = [''];
  private readonly ids = new Map<string, number>();

  id(value: string | null): number {
    if (value === null) return 0;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.texts.length;
      this.texts.push(value);
      this.ids.set(value, id);
    }
    return id;
  }
}

/**
 * Lookup results by address, bounded (the oldest address goes first when it is full). Results
 * live in typed arrays indexed by a slot: text as TextIds numbers (0 = null), numbers as
 * numbers (NaN = null).
 */
class LookupCache {
  /** By address: IPv4 as a 32-bit integer (a cheap key to hash and compare), others as text. */
  private readonly slots = new Map<number | string, number>();
  country: Uint32Array = new Uint32Array(0);
  city: Uint32Array = new Uint32Array(0);
  org: Uint32Array = new Uint32Array(0);
  lat: Float64Array = new Float64Array(0);
  lon: Float64Array = new Float64Array(0);
  asn: Float64Array = new Float64Array(0);

  /**
   * The slot of each address book entry (slot + 1, 0 unknown), valid for book epoch
   * `entryEpoch`; `owner[slot]` is the entry that last looked the slot up, so a slot given to
   * another address since is not taken for this one. A known address costs two array reads,
   * not a Map probe.
   */
  private entrySlots = new Uint32Array(0);
  private entryEpoch = -1;
  private owner = new Int32Array(0);

  constructor(private readonly max: number) {}

  slot(key: number | string): number | undefined {
    return this.slots.get(key);
  }

  /** Starts a batch whose address table belongs to book epoch `epoch` (see AddressBook). */
  useEpoch(epoch: number): void {
    if (epoch === this.entryEpoch) return;
    this.entryEpoch = epoch;
    this.entrySlots.fill(0);
  }

  /** The slot last found for book entry `entry`, or -1. */
  entrySlot(entry: number): number {
    if (entry >= this.entrySlots.length) return -1;
    const slot = this.entrySlots[entry]! - 1;
    return slot >= 0 && this.owner[slot] === entry ? slot : -1;
  }

  /** Remembers that book entry `entry`'s results are in `slot`. */
  setEntrySlot(entry: number, slot: number): void {
    if (entry >= this.entrySlots.length) {
      const more = new Uint32Array(Math.max(1024, entry * 2));
      more.set(this.entrySlots);
      this.entrySlots = more;
    }
    this.entrySlots[entry] = slot + 1;
    this.owner[slot] = entry;
  }

  /** A slot for `key`: a free one, or the oldest address's. The caller fills it. */
  claim(key: number | string): number {
    let slot = this.slots.size;
    if (slot >= this.max) {
      const oldest = this.slots.entries().next().value!;
      this.slots.delete(oldest[0]);
      slot = oldest[1];
    } else if (slot >= this.country.length) {
      this.grow(Math.min(this.max, Math.max(1024, slot * 2)));
    }
    this.slots.set(key, slot);
    return slot;
  }

  /** The arrays grow by doubling up to the bound, so a large bound costs nothing until used. */
  private grow(size: number): void {
    const u32 = (a: Uint32Array): Uint32Array => {
      const b = new Uint32Array(size);
      b.set(a);
      return b;
    };
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    this.country = u32(this.country);
    this.city = u32(this.city);
    this.org = u32(this.org);
    this.lat = f64(this.lat);
    this.lon = f64(this.lon);
    this.asn = f64(this.asn);
    const owner = new Int32Array(size).fill(-1);
    owner.set(this.owner);
    this.owner = owner;
  }
}

export interface GeoOptions {
  readonly city: MmdbSet | null;
  readonly asn: AsnSource | null;
  readonly cacheSize: number;
}

/**
 * One output dictionary per batch, built from TextIds numbers: `code` is an array lookup, with a
 * batch stamp telling codes of this batch from stale ones of earlier batches.
 */
class BatchDict {
  dict: string[] = [''];
  private codes = new Uint32Array(64);
  private stamps = new Uint32Array(64);
  private batch = 0;

  /** Starts a new batch's dictionary. */
  reset(): void {
    this.dict = [''];
    this.batch++;
  }

  code(id: number, texts: readonly string[]): number {
    if (id === 0) return 0;
    if (id >= this.codes.length) this.grow(texts.length);
    if (this.stamps[id] === this.batch) return this.codes[id]!;
    const code = this.dict.length;
    this.dict.push(texts[id]!);
    this.codes[id] = code;
    this.stamps[id] = this.batch;
    return code;
  }

  private grow(size: number): void {
    const length = Math.max(size, this.codes.length * 2);
    const codes = new Uint32Array(length);
    codes.set(this.codes);
    const stamps = new Uint32Array(length);
    stamps.set(this.stamps);
    this.codes = codes;
    this.stamps = stamps;
  }
}

/**
 * Country, city, coordinates and AS of public addresses (only public: private, shared,
 * documentation… addresses are never looked up). Lookups are cached per distinct address
 * across batches, and each batch resolves each distinct address once.
 */
export function geoEnricher(options: GeoOptions): Enricher {
  const cache = new LookupCache(options.cacheSize);
  const texts = new TextIds();
  const withCity = options.city !== null;
  const withAsn = options.asn !== null;

  /**
   * The cache slot holding `ip`'s results, looked up in the databases on a miss. `ipv4` is the
   * address as a number when it is IPv4 (-1 otherwise).
   */
  const lookup = (ip: string, ipv4: number): number => {
    const key = ipv4 >= 0 ? ipv4 | 0 : ip;
    const hit = cache.slot(key);
    if (hit !== undefined) return hit;
    const isV6 = ipv4 < 0;
    const geo = options.city ? geoRecord(options.city.get(ip, isV6)) : null;
    const as = options.asn ? options.asn.get(ip, isV6) : null;
    const slot = cache.claim(key);
    cache.country[slot] = texts.id(geo?.country ?? null);
    cache.city[slot] = texts.id(geo?.city ?? null);
    cache.lat[slot] = geo?.lat ?? Number.NaN;
    cache.lon[slot] = geo?.lon ?? Number.NaN;
    cache.org[slot] = texts.id(as?.org ?? null);
    cache.asn[slot] = as?.asn ?? Number.NaN;
    return slot;
  };

  const countries = new BatchDict();
  const cities = new BatchDict();
  const orgs = new BatchDict();
  const columns = [...(withCity ? GEO_COLUMNS : []), ...(withAsn ? ASN_COLUMNS : [])];
  return {
    name: 'geo',
    columns,
    enrich(batch: FlowBatch): void {
      const { table, classes, ipv4 } = addressClasses(batch);
      const ids = table.values.length;
      cache.useEpoch(table.epoch);
      const entries = table.entries;
      // Per distinct address: its codes in each output dictionary and its numbers.
      countries.reset();
      cities.reset();
      orgs.reset();
      const countryOf = new Uint32Array(ids);
      const cityOf = new Uint32Array(ids);
      const orgOf = new Uint32Array(ids);
      const latOf = new Float64Array(ids).fill(Number.NaN);
      const lonOf = new Float64Array(ids).fill(Number.NaN);
      const asnOf = new Float64Array(ids).fill(Number.NaN);
      const all = texts.texts;
      for (let id = 1; id < ids; id++) {
        if (classes[id] !== NC.public) continue;
        // an address seen in an earlier batch: its slot by book entry, without a Map probe
        let slot = cache.entrySlot(entries[id]!);
        if (slot < 0) {
          slot = lookup(table.values[id]!, ipv4[id]!);
          cache.setEntrySlot(entries[id]!, slot);
        }
        countryOf[id] = countries.code(cache.country[slot]!, all);
        cityOf[id] = cities.code(cache.city[slot]!, all);
        latOf[id] = cache.lat[slot]!;
        lonOf[id] = cache.lon[slot]!;
        orgOf[id] = orgs.code(cache.org[slot]!, all);
        asnOf[id] = cache.asn[slot]!;
      }
      const n = batch.length;
      const made = new Map<string, StrColumn | NumColumn>();
      for (const [prefix, rowIds] of [
        ['src', table.srcIds],
        ['dst', table.dstIds],
      ] as const) {
        if (withCity) {
          made.set(`${prefix}_country`, {
            kind: 'str',
            codes: gather32(countryOf, rowIds, n),
            dict: countries.dict,
          });
          made.set(`${prefix}_city`, { kind: 'str', codes: gather32(cityOf, rowIds, n), dict: cities.dict });
          made.set(`${prefix}_lat`, { kind: 'num', values: gather64(latOf, rowIds, n) });
          made.set(`${prefix}_lon`, { kind: 'num', values: gather64(lonOf, rowIds, n) });
        }
        if (withAsn) {
          made.set(`${prefix}_asn`, { kind: 'num', values: gather64(asnOf, rowIds, n) });
          made.set(`${prefix}_as_org`, { kind: 'str', codes: gather32(orgOf, rowIds, n), dict: orgs.dict });
        }
      }
      for (const name of columns) batch.extra.set(name, made.get(name)!);
    },
  };
}

/** The per-address values `of` spread over the rows. */
function gather32(of: Uint32Array, rowIds: Uint32Array, n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = of[rowIds[i]!]!;
  GEO_ADDRESS_VALUES.set(out, { rowIds, of });
  return out;
}

function gather64(of: Float64Array, rowIds: Uint32Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = of[rowIds[i]!]!;
  GEO_ADDRESS_VALUES.set(out, { rowIds, of });
  return out;
}
