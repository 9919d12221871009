import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  ASN_HEADER,
  type AsnBytes,
  type AsnFiles,
  type AsnTables,
  asnBinary,
  asnCounts,
  asnLayout,
  le32,
  openCachedAsn,
  V4_ROW,
  V6_ROW,
  writeCachedAsn,
} from './asn-cache.js';
import { AsnCsvParser, type AsnRangeTable, OrgPool } from './asn-csv.js';
import type { AsnSource, AsRecord } from './geo-db.js';
import { parseIPv4, parseIPv6 } from './ip.js';

/**
 * The embedded ASN default: the numeric range CSVs of the npm package `@ip-location-db/asn`
 * (RouteViews, the five RIRs' delegations and DB-IP's IP-to-ASN Lite), parsed once per process
 * once into a binary table (asn-cache.ts) that later processes read in pages, and searched by
 * bisection. About 412,000 IPv4 and 103,000 IPv6 ranges.
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

/**
 * IPv4 and IPv6 range tables sharing one list of organisation names, searched by bisection where
 * they lie (asn-cache.ts has the layout): in the cache file, read in pages, or in the buffer
 * just built from the CSV when no copy could be written.
 */
export class AsnRanges {
  private readonly bytes16 = new Uint8Array(16);
  readonly v4Rows: number;
  readonly v6Rows: number;
  readonly orgCount: number;
  private readonly v6At: number;
  private readonly offsetsAt: number;
  private readonly namesAt: number;

  constructor(
    private readonly bytes: AsnBytes,
    /** Milliseconds the table took to open (or to parse and write). */
    readonly loadMs: number,
  ) {
    const counts = asnCounts(bytes);
    if (!counts) throw new Error('not an ASN table');
    this.v4Rows = counts.v4Rows;
    this.v6Rows = counts.v6Rows;
    this.orgCount = counts.orgs;
    const layout = asnLayout(counts.v4Rows, counts.v6Rows, counts.orgs);
    this.v6At = layout.v6At;
    this.offsetsAt = layout.offsetsAt;
    this.namesAt = layout.namesAt;
  }

  /** The AS announcing `ip`, or null when no range holds it (or `ip` is not an address). */
  lookup(ip: string, isV6: boolean): AsRecord | null {
    if (!isV6) {
      const v4 = parseIPv4(ip);
      return v4 < 0 ? null : this.v4Record(v4);
    }
    const b = this.bytes16;
    if (!parseIPv6(ip, b)) return null;
    const w0 = word(b, 0);
    const w1 = word(b, 4);
    const w2 = word(b, 8);
    const w3 = word(b, 12);
    // IPv4-mapped (::ffff:0:0/96) and NAT64 (64:ff9b::/96) addresses stand for an IPv4 host.
    if ((w0 === 0 && w1 === 0 && w2 === 0xffff) || (w0 === 0x0064ff9b && w1 === 0 && w2 === 0)) {
      return this.v4Record(w3);
    }
    return this.v6Record(w0, w1, w2, w3);
  }

  /** Every organisation name by id (id 0 is the empty name). */
  orgNames(): string[] {
    return Array.from({ length: this.orgCount }, (_, id) => this.org(id));
  }

  private org(id: number): string {
    const at = this.offsetsAt + id * 4;
    const start = le32(this.bytes, at);
    return this.bytes.text(this.namesAt + start, le32(this.bytes, at + 4) - start);
  }

  private record(asn: number, orgId: number): AsRecord {
    return { asn, org: this.org(orgId) || null };
  }

  private v4Record(ip: number): AsRecord | null {
    const bytes = this.bytes;
    let lo = 0;
    let hi = this.v4Rows - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (le32(bytes, ASN_HEADER + mid * V4_ROW) <= ip) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return null;
    const row = ASN_HEADER + found * V4_ROW;
    return ip <= le32(bytes, row + 4) ? this.record(le32(bytes, row + 8), le32(bytes, row + 12)) : null;
  }

  private v6Record(w0: number, w1: number, w2: number, w3: number): AsRecord | null {
    let lo = 0;
    let hi = this.v6Rows - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare6(this.v6At + mid * V6_ROW, w0, w1, w2, w3) <= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return null;
    const row = this.v6At + found * V6_ROW;
    if (this.compare6(row + 16, w0, w1, w2, w3) < 0) return null;
    return this.record(le32(this.bytes, row + 32), le32(this.bytes, row + 36));
  }

  /** Sign of (the four words at `at` − w0..w3), as 128-bit unsigned numbers. */
  private compare6(at: number, w0: number, w1: number, w2: number, w3: number): number {
    const bytes = this.bytes;
    let d = le32(bytes, at) - w0;
    if (d !== 0) return d;
    d = le32(bytes, at + 4) - w1;
    if (d !== 0) return d;
    d = le32(bytes, at + 8) - w2;
    if (d !== 0) return d;
    return le32(bytes, at + 12) - w3;
  }
}

/** A table built in this process and kept in memory (no cache copy could be written). */
class BufferBytes implements AsnBytes {
  constructor(private readonly buffer: Buffer) {}

  get size(): number {
    return this.buffer.length;
  }

  u8(offset: number): number {
    return this.buffer[offset]!;
  }

  text(offset: number, length: number): string {
    return this.buffer.toString('utf8', offset, offset + length);
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
 * `chunkSize` (tests) parses in chunks of that size and leaves the copy alone.
 */
export function loadAsnRanges(files: AsnFiles, chunkSize?: number): AsnRanges {
  const started = performance.now();
  const cached = chunkSize === undefined ? openCachedAsn(files) : null;
  if (cached) return new AsnRanges(cached, performance.now() - started);
  const binary = asnBinary(parseAsnTables(files, chunkSize));
  const written = chunkSize === undefined ? writeCachedAsn(files, binary) : null;
  return new AsnRanges(written ?? new BufferBytes(binary), performance.now() - started);
}

function parseAsnTables(files: AsnFiles, chunkSize: number | undefined): AsnTables {
  const orgs = new OrgPool();
  const v4 = readAsnCsv(files.v4, 1, orgs, chunkSize);
  const v6 = readAsnCsv(files.v6, 4, orgs, chunkSize);
  orgs.seal();
  return { v4, v6, orgs: orgs.names };
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
