import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AsnRangeTable } from './asn-csv.js';
import { PagedFile } from './paged-file.js';

/** The CSV files the table is parsed from. */
export interface AsnFiles {
  readonly v4: string;
  readonly v6: string;
}

/** The parts of a parsed table. */
export interface AsnTables {
  readonly v4: AsnRangeTable;
  readonly v6: AsnRangeTable;
  readonly orgs: readonly string[];
}

/** Bytes of the binary table: the cache file read in pages, or the table just built. */
export interface AsnBytes {
  readonly size: number;
  u8(offset: number): number;
  text(offset: number, length: number): string;
}

/**
 * The binary form of a parsed embedded ASN table. Lookups read it where it lies: a process after
 * the first opens the copy the first one left and reads only the pages its lookups touch (a few
 * hundred KB for thousands of addresses) instead of parsing 32 MB of CSV (a few hundred ms) and
 * holding some 15 MB. Kept in `FLOWLENS_CACHE_DIR` (default: `flowlens-cache-<uid>` in the system
 * temporary directory) under a name derived from the CSV files' paths, sizes and modification
 * times, so a changed package gets a new copy. Any problem reading or writing it only means the
 * table is parsed again and kept in memory, as built.
 *
 * Layout, all numbers 32-bit little-endian: a 32-byte header (magic, IPv4 rows, IPv6 rows,
 * organisations), IPv4 rows of 4 words (start, end, ASN, organisation id), IPv6 rows of 10
 * (start and end four words each, most significant first; ASN; organisation id), the byte
 * offsets of the organisation names (one more than there are names) and the names as UTF-8.
 * A row's words sit together, so a lookup reads one place per step.
 */
const MAGIC = 'FLASN002';
export const ASN_HEADER = 32;
export const V4_ROW = 16;
export const V6_ROW = 40;

/** Where each part of a table of these sizes starts. */
export function asnLayout(v4Rows: number, v6Rows: number, orgs: number) {
  const v6At = ASN_HEADER + v4Rows * V4_ROW;
  const offsetsAt = v6At + v6Rows * V6_ROW;
  const namesAt = offsetsAt + (orgs + 1) * 4;
  return { v4At: ASN_HEADER, v6At, offsetsAt, namesAt };
}

/** The header's counts when `bytes` is a whole table of this layout, else null. */
export function asnCounts(bytes: AsnBytes): { v4Rows: number; v6Rows: number; orgs: number } | null {
  if (bytes.size < ASN_HEADER) return null;
  for (let i = 0; i < MAGIC.length; i++) if (bytes.u8(i) !== MAGIC.charCodeAt(i)) return null;
  const [v4Rows, v6Rows, orgs] = [8, 12, 16].map((at) => le32(bytes, at)) as [number, number, number];
  const { namesAt, offsetsAt } = asnLayout(v4Rows, v6Rows, orgs);
  if (namesAt > bytes.size || le32(bytes, offsetsAt + orgs * 4) !== bytes.size - namesAt) return null;
  return { v4Rows, v6Rows, orgs };
}

/** The unsigned 32-bit little-endian number at `at`. */
export function le32(bytes: AsnBytes, at: number): number {
  return (bytes.u8(at) | (bytes.u8(at + 1) << 8) | (bytes.u8(at + 2) << 16) | (bytes.u8(at + 3) << 24)) >>> 0;
}

/** A parsed table in the layout above. */
export function asnBinary(tables: AsnTables): Buffer {
  const { v4, v6, orgs } = tables;
  const names = orgs.map((o) => Buffer.from(o, 'utf8'));
  const nameBytes = names.reduce((n, b) => n + b.length, 0);
  const { v6At, offsetsAt, namesAt } = asnLayout(v4.count, v6.count, orgs.length);
  const out = Buffer.alloc(namesAt + nameBytes);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(v4.count, 8);
  out.writeUInt32LE(v6.count, 12);
  out.writeUInt32LE(orgs.length, 16);
  for (let i = 0; i < v4.count; i++) {
    const at = ASN_HEADER + i * V4_ROW;
    out.writeUInt32LE(v4.starts[i]!, at);
    out.writeUInt32LE(v4.ends[i]!, at + 4);
    out.writeUInt32LE(v4.asns[i]!, at + 8);
    out.writeUInt32LE(v4.orgIds[i]!, at + 12);
  }
  for (let i = 0; i < v6.count; i++) {
    const at = v6At + i * V6_ROW;
    for (let w = 0; w < 4; w++) {
      out.writeUInt32LE(v6.starts[i * 4 + w]!, at + 4 * w);
      out.writeUInt32LE(v6.ends[i * 4 + w]!, at + 16 + 4 * w);
    }
    out.writeUInt32LE(v6.asns[i]!, at + 32);
    out.writeUInt32LE(v6.orgIds[i]!, at + 36);
  }
  let name = 0;
  for (let i = 0; i < names.length; i++) {
    out.writeUInt32LE(name, offsetsAt + i * 4);
    names[i]!.copy(out, namesAt + name);
    name += names[i]!.length;
  }
  out.writeUInt32LE(name, offsetsAt + names.length * 4);
  return out;
}

function cacheFile(files: AsnFiles): string | null {
  try {
    const key = [files.v4, files.v6]
      .map((f) => {
        const s = statSync(f);
        return `${f}:${s.size}:${s.mtimeMs}`;
      })
      .join('|');
    const name = createHash('sha1').update(`${MAGIC}|${key}`).digest('hex').slice(0, 16);
    // One folder per user: a copy another user of the machine wrote is not read.
    const user = process.getuid?.() ?? 'user';
    const dir = process.env.FLOWLENS_CACHE_DIR || join(tmpdir(), `flowlens-cache-${user}`);
    return join(dir, `asn-${name}.bin`);
  } catch {
    return null;
  }
}

/** The cached table for these files, opened to be read in pages, or null (none yet, or damaged). */
export function openCachedAsn(files: AsnFiles): PagedFile | null {
  const path = cacheFile(files);
  if (!path) return null;
  let file: PagedFile;
  try {
    // Only a copy this user wrote is trusted (the temporary directory is shared).
    const uid = process.getuid?.();
    if (uid !== undefined && statSync(path).uid !== uid) return null;
    file = new PagedFile(path, 256, 4 << 20);
  } catch {
    return null;
  }
  try {
    if (asnCounts(file)) return file;
  } catch {
    // shorter than it says
  }
  file.close();
  return null;
}

/**
 * Saves a table (asnBinary) for later processes and opens the saved copy; null when it cannot
 * be written (the cache is optional).
 */
export function writeCachedAsn(files: AsnFiles, binary: Buffer): PagedFile | null {
  const path = cacheFile(files);
  if (!path) return null;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // Written aside and renamed: a reader never sees half a file.
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, binary);
    renameSync(partial, path);
  } catch {
    // A read-only or full disk: the next process parses the CSV again.
    return null;
  }
  return openCachedAsn(files);
}
