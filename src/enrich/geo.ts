import type { FlowBatch, NumColumn, StrColumn } from '../batch/flow-batch.js';
import { grown } from '../batch/grown.js';
import type { Enricher } from '../core/types.js';
import type { AddressTable } from './addresses.js';
import type { AsnSource, MmdbSet } from './geo-db.js';
import { type AsOf, type PlacesOf, spreadAs, spreadPlaces } from './geo-spread.js';
import { addressClasses } from './network.js';
import { NC } from './network-class.js';
import { RowSpread } from './row-spread.js';

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

/** Read by the store, which codes places and ASes per address (see geo-spread.ts). */

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
    if (entry >= this.entrySlots.length) this.entrySlots = grown(this.entrySlots, Math.max(1024, entry * 2));
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
    this.country = grown(this.country, size);
    this.city = grown(this.city, size);
    this.org = grown(this.org, size);
    this.lat = grown(this.lat, size);
    this.lon = grown(this.lon, size);
    this.asn = grown(this.asn, size);
    this.owner = grown(this.owner, size, -1);
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
    this.codes = grown(this.codes, length);
    this.stamps = grown(this.stamps, length);
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
  const lookup = (ip: string, ipv4: number, words: Uint32Array, at: number): number => {
    const key = ipv4 >= 0 ? ipv4 | 0 : ip;
    const hit = cache.slot(key);
    if (hit !== undefined) return hit;
    const isV6 = ipv4 < 0;
    const geo = options.city ? options.city.geo(ip, words, at, isV6) : null;
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
  const spreader = new RowSpread();
  const columns = [...(withCity ? GEO_COLUMNS : []), ...(withAsn ? ASN_COLUMNS : [])];

  /**
   * Per distinct address of the batch: its codes in each output dictionary and its numbers.
   * Every slot's results are read as soon as it is found, before a later lookup may reuse it.
   */
  const resolve = (batch: FlowBatch): { table: AddressTable; places: PlacesOf; as: AsOf } => {
    const { table, classes, ipv4 } = addressClasses(batch);
    const ids = table.values.length;
    cache.useEpoch(table.epoch);
    const entries = table.entries;
    countries.reset();
    cities.reset();
    orgs.reset();
    // one buffer for the six per-address arrays, numbers first (aligned)
    const buffer = new ArrayBuffer(ids * (3 * 8 + 3 * 4));
    const lat = new Float64Array(buffer, 0, ids).fill(Number.NaN);
    const lon = new Float64Array(buffer, 8 * ids, ids).fill(Number.NaN);
    const asn = new Float64Array(buffer, 16 * ids, ids).fill(Number.NaN);
    const country = new Uint32Array(buffer, 24 * ids, ids);
    const city = new Uint32Array(buffer, 28 * ids, ids);
    const org = new Uint32Array(buffer, 32 * ids, ids);
    const all = texts.texts;
    for (let id = 1; id < ids; id++) {
      if (classes[id] !== NC.public) continue;
      // an address seen in an earlier batch: its slot by book entry, without a Map probe
      let slot = cache.entrySlot(entries[id]!);
      if (slot < 0) {
        slot = lookup(table.values[id]!, ipv4[id]!, table.words, 4 * id);
        cache.setEntrySlot(entries[id]!, slot);
      }
      country[id] = countries.code(cache.country[slot]!, all);
      city[id] = cities.code(cache.city[slot]!, all);
      lat[id] = cache.lat[slot]!;
      lon[id] = cache.lon[slot]!;
      org[id] = orgs.code(cache.org[slot]!, all);
      asn[id] = cache.asn[slot]!;
    }
    return { table, places: { country, city, lat, lon }, as: { asn, org } };
  };

  return {
    name: 'geo',
    columns,
    enrich(batch: FlowBatch): void {
      const { table, places, as } = resolve(batch);
      const n = batch.length;
      const extra = batch.extra;
      // in GEO_COLUMNS then ASN_COLUMNS order
      // each column carries the per-address values it was spread from (ColumnSpread)
      const { srcIds: src, dstIds: dst } = table;
      if (withCity) {
        const r = spreadPlaces(spreader, places, table, n);
        extra.set('src_country', strColumn(r.srcCountry, countries.dict, src, places.country));
        extra.set('dst_country', strColumn(r.dstCountry, countries.dict, dst, places.country));
        extra.set('src_city', strColumn(r.srcCity, cities.dict, src, places.city));
        extra.set('dst_city', strColumn(r.dstCity, cities.dict, dst, places.city));
        extra.set('src_lat', numColumn(r.srcLat, src, places.lat));
        extra.set('src_lon', numColumn(r.srcLon, src, places.lon));
        extra.set('dst_lat', numColumn(r.dstLat, dst, places.lat));
        extra.set('dst_lon', numColumn(r.dstLon, dst, places.lon));
      }
      if (withAsn) {
        const r = spreadAs(spreader, as, table, n);
        extra.set('src_asn', numColumn(r.srcAsn, src, as.asn));
        extra.set('dst_asn', numColumn(r.dstAsn, dst, as.asn));
        extra.set('src_as_org', strColumn(r.srcOrg, orgs.dict, src, as.org));
        extra.set('dst_as_org', strColumn(r.dstOrg, orgs.dict, dst, as.org));
      }
    },
  };
}

const strColumn = (
  codes: Uint32Array,
  dict: readonly string[],
  rowIds: Uint32Array,
  of: Uint32Array,
): StrColumn => ({
  kind: 'str',
  codes,
  dict,
  spread: { rowIds, of },
});
const numColumn = (values: Float64Array, rowIds: Uint32Array, of: Float64Array): NumColumn => ({
  kind: 'num',
  values,
  spread: { rowIds, of },
});
