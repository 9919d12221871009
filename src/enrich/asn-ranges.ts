import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type AsnFiles, readCachedAsn, writeCachedAsn } from './asn-cache.js';
import { AsnCsvParser, type AsnRangeTable, OrgPool } from './asn-csv.js';
import type { AsnSource, AsRecord } from './geo-db.js';
import { parseIPv4, parseIPv6 } from './ip.js';

/**
 * The embedded ASN default: the numeric range CSVs of the npm package `@ip-location-db/asn`
 * (RouteViews, the five RIRs' delegations and DB-IP's IP-to-ASN Lite), parsed once per process
 * into sorted typed arrays and searched by bisection. About 412,000 IPv4 and 103,000 IPv6 ranges,
 * some 15 MB in memory.
 */

export type { AsnFiles } from './asn-cache.js';

const PACKAGE = '@ip-location-db/asn';

/** The package's numeric CSV files, or null when the package (or either file) is not installed. */
export function defaultAsnFiles(): AsnFiles | null {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = require.resolve(`${PACKAGE}/package.json`).slice(0, -'package.json'.length);
  } catch {
    return null;
  }
  const files = { v4: `${dir}asn-ipv4-num.csv`, v6: `${dir}asn-ipv6-num.csv` };
  return existsSync(files.v4) && existsSync(files.v6) ? files : null;
}

/** IPv4 and IPv6 range tables sharing one list of organisation names. */
export class AsnRanges {
  private readonly bytes16 = new Uint8Array(16);

  constructor(
    readonly v4: AsnRangeTable,
    readonly v6: AsnRangeTable,
    readonly orgs: readonly string[],
    /** Milliseconds the files took to read and parse. */
    readonly loadMs: number,
  ) {}

  /** The AS announcing `ip`, or null when no range holds it (or `ip` is not an address). */
  lookup(ip: string, isV6: boolean): AsRecord | null {
    if (!isV6) {
      const v4 = parseIPv4(ip);
      return v4 < 0 ? null : this.record(this.v4, this.v4.findV4(v4));
    }
    const b = this.bytes16;
    if (!parseIPv6(ip, b)) return null;
    const w0 = word(b, 0);
    const w1 = word(b, 4);
    const w2 = word(b, 8);
    const w3 = word(b, 12);
    // IPv4-mapped (::ffff:0:0/96) and NAT64 (64:ff9b::/96) addresses stand for an IPv4 host.
    if ((w0 === 0 && w1 === 0 && w2 === 0xffff) || (w0 === 0x0064ff9b && w1 === 0 && w2 === 0)) {
      return this.record(this.v4, this.v4.findV4(w3));
    }
    return this.record(this.v6, this.v6.findV6(w0, w1, w2, w3));
  }

  /** Bytes held by the range arrays (organisation strings not included). */
  get tableBytes(): number {
    return this.v4.bytes + this.v6.bytes;
  }

  private record(table: AsnRangeTable, row: number): AsRecord | null {
    if (row < 0) return null;
    const org = table.orgIds[row]!;
    return { asn: table.asns[row]!, org: this.orgs[org] || null };
  }
}

function word(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Reads one CSV in fixed-size chunks: memory is the table plus one chunk, never the whole file. */
export function readAsnCsv(path: string, words: 1 | 4, orgs: OrgPool, chunkSize = 1 << 20): AsnRangeTable {
  const parser = new AsnCsvParser(words, path, orgs);
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(chunkSize);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunkSize, null);
      if (n === 0) break;
      parser.push(chunk.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return parser.end();
}

/**
 * Both files: the binary copy a previous process left (asn-cache.ts), else parsed now and the
 * copy written. Throws (with the file and line) when either is unreadable or malformed.
 */
export function loadAsnRanges(files: AsnFiles, chunkSize?: number): AsnRanges {
  const started = performance.now();
  const cached = chunkSize === undefined ? readCachedAsn(files) : null;
  if (cached) return new AsnRanges(cached.v4, cached.v6, cached.orgs, performance.now() - started);
  const ranges = parseAsnRanges(files, chunkSize, started);
  if (chunkSize === undefined) writeCachedAsn(files, ranges);
  return ranges;
}

function parseAsnRanges(files: AsnFiles, chunkSize: number | undefined, started: number): AsnRanges {
  const orgs = new OrgPool();
  const v4 = readAsnCsv(files.v4, 1, orgs, chunkSize);
  const v6 = readAsnCsv(files.v6, 4, orgs, chunkSize);
  orgs.seal();
  return new AsnRanges(v4, v6, orgs.names, performance.now() - started);
}

/** Loaded tables by IPv4 file path: every pipeline of the process shares one copy. */
const loaded = new Map<string, AsnRanges | Error>();

function sharedAsnRanges(files: AsnFiles): AsnRanges | Error {
  let entry = loaded.get(files.v4);
  if (!entry) {
    try {
      entry = loadAsnRanges(files);
    } catch (err) {
      entry = err instanceof Error ? err : new Error(String(err));
    }
    loaded.set(files.v4, entry);
  }
  return entry;
}

/**
 * The embedded table as an ASN source for the geo enricher. `buildEnrichers` loads it when the
 * pipeline is built (`preload`), so the parse (a few hundred ms, once per process) is paid at
 * start rather than inside the first batch; used on its own it loads on the first lookup. If the
 * files cannot be read or parsed, one warning says so and ASN columns stay null; the run goes on.
 */
export class EmbeddedAsn implements AsnSource {
  private table: AsnRanges | null | undefined;

  constructor(
    private readonly files: AsnFiles,
    private readonly warn: (message: string) => void,
  ) {}

  /** Loads the table now (or warns once that it cannot be); later lookups find it ready. */
  preload(): void {
    if (this.table === undefined) this.table = this.load();
  }

  get(ip: string, isV6: boolean): AsRecord | null {
    if (this.table === undefined) this.table = this.load();
    return this.table ? this.table.lookup(ip, isV6) : null;
  }

  private load(): AsnRanges | null {
    const entry = sharedAsnRanges(this.files);
    if (entry instanceof Error) {
      warnOnce(
        this.warn,
        `embedded ASN table unavailable, src_asn/dst_asn stay empty: ${entry.message} (set --asn-db to an MMDB file, or --asn-db none)`,
      );
      return null;
    }
    return entry;
  }
}

const warned = new Set<string>();

/** A warning given once per process, however many pipelines are built (server, Lambda warm starts). */
export function warnOnce(warn: (message: string) => void, message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  warn(message);
}
