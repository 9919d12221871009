import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AsnRangeTable } from './asn-csv.js';

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

/**
 * A binary copy of the parsed embedded ASN table, so that a process after the first loads it in
 * milliseconds instead of parsing 32 MB of CSV (a few hundred ms). Kept in
 * `FLOWLENS_CACHE_DIR` (default: `flowlens-cache-<uid>` in the system temporary directory) under a
 * name derived from the CSV files' paths, sizes and modification times, so a changed package
 * gets a new copy. Any problem reading or writing it only means parsing the CSV as before.
 *
 * Layout (little- or big-endian as the machine, which is part of the name): 32-byte header
 * (magic, IPv4 rows, IPv6 rows, organisation bytes), then the IPv4 starts, ends, ASNs and
 * organisation ids, the IPv6 ones (starts and ends four words per row), and the organisation
 * names as UTF-8, NUL-separated.
 */
const MAGIC = 'FLASN001';
const HEADER = 32;

function cacheFile(files: AsnFiles): string | null {
  try {
    const key = [files.v4, files.v6]
      .map((f) => {
        const s = statSync(f);
        return `${f}:${s.size}:${s.mtimeMs}`;
      })
      .join('|');
    const name = createHash('sha1').update(`${MAGIC}|${endianness()}|${key}`).digest('hex').slice(0, 16);
    // One folder per user: a copy another user of the machine wrote is not read.
    const user = process.getuid?.() ?? 'user';
    const dir = process.env.FLOWLENS_CACHE_DIR || join(tmpdir(), `flowlens-cache-${user}`);
    return join(dir, `asn-${name}.bin`);
  } catch {
    return null;
  }
}

/** The cached table for these files, or null (no copy yet, or one that does not check out). */
export function readCachedAsn(files: AsnFiles): AsnTables | null {
  const path = cacheFile(files);
  if (!path) return null;
  let bytes: Buffer;
  try {
    // Only a copy this user wrote is trusted (the temporary directory is shared).
    const uid = process.getuid?.();
    if (uid !== undefined && statSync(path).uid !== uid) return null;
    bytes = readFileSync(path);
  } catch {
    return null;
  }
  if (bytes.length < HEADER || bytes.toString('latin1', 0, 8) !== MAGIC) return null;
  // Typed-array views need 4-byte alignment; a fresh read almost always has it.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : Buffer.from(bytes);
  const head = new Uint32Array(aligned.buffer, aligned.byteOffset + 8, 3);
  const [n4, n6, orgBytes] = [head[0]!, head[1]!, head[2]!];
  const words = n4 * 4 + n6 * 10;
  if (aligned.length !== HEADER + words * 4 + orgBytes) return null;
  let at = aligned.byteOffset + HEADER;
  const take = (n: number): Uint32Array => {
    const view = new Uint32Array(aligned.buffer, at, n);
    at += n * 4;
    return view;
  };
  const v4 = new AsnRangeTable(1, n4, take(n4), take(n4), take(n4), take(n4));
  const v6 = new AsnRangeTable(4, n6, take(n6 * 4), take(n6 * 4), take(n6), take(n6));
  const orgs = aligned.toString('utf8', HEADER + words * 4).split('\0');
  return { v4, v6, orgs };
}

/** Saves the parsed table for the next process; failures are ignored (the cache is optional). */
export function writeCachedAsn(files: AsnFiles, ranges: AsnTables): void {
  const path = cacheFile(files);
  if (!path) return;
  try {
    const orgs = Buffer.from(ranges.orgs.join('\0'), 'utf8');
    const arrays = [ranges.v4, ranges.v6].flatMap((t) => [t.starts, t.ends, t.asns, t.orgIds]);
    const head = Buffer.alloc(HEADER);
    head.write(MAGIC, 0, 'latin1');
    head.set(new Uint8Array(new Uint32Array([ranges.v4.count, ranges.v6.count, orgs.length]).buffer), 8);
    const parts = [head, ...arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)), orgs];
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // Written aside and renamed: a reader never sees half a file.
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.concat(parts));
    renameSync(partial, path);
  } catch {
    // A read-only or full disk: the next process parses the CSV again.
  }
}
