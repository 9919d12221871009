/**
 * A small MaxMind DB (MMDB v2) writer for tests: builds real .mmdb files with chosen records,
 * so geo/ASN lookups run through the real `maxmind` reader on data whose answers we know.
 * Supports the value types the GeoLite2 and ip-location-db layouts use.
 */
import { parseIPv4, parseIPv6 } from '../../src/enrich/ip.js';

export type MmdbValue = string | number | boolean | MmdbValue[] | { [key: string]: MmdbValue };

function controlBytes(type: number, size: number): number[] {
  const out: number[] = [];
  let sizeBits: number;
  const ext: number[] = [];
  if (size < 29) sizeBits = size;
  else if (size < 285) {
    sizeBits = 29;
    ext.push(size - 29);
  } else if (size < 65821) {
    sizeBits = 30;
    const v = size - 285;
    ext.push(v >> 8, v & 255);
  } else {
    sizeBits = 31;
    const v = size - 65821;
    ext.push((v >> 16) & 255, (v >> 8) & 255, v & 255);
  }
  if (type <= 7) out.push((type << 5) | sizeBits);
  else out.push(sizeBits, type - 7);
  return [...out, ...ext];
}

function uintBytes(v: number): number[] {
  const out: number[] = [];
  let x = v;
  while (x > 0) {
    out.unshift(x % 256);
    x = Math.floor(x / 256);
  }
  return out;
}

function encode(v: MmdbValue): number[] {
  if (typeof v === 'string') {
    const b = [...Buffer.from(v, 'utf8')];
    return [...controlBytes(2, b.length), ...b];
  }
  if (typeof v === 'boolean') return controlBytes(14, v ? 1 : 0);
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0 && v < 2 ** 32) {
      const b = uintBytes(v);
      return [...controlBytes(6, b.length), ...b];
    }
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return [...controlBytes(3, 8), ...b];
  }
  if (Array.isArray(v)) return [...controlBytes(11, v.length), ...v.flatMap(encode)];
  const entries = Object.entries(v);
  return [...controlBytes(7, entries.length), ...entries.flatMap(([k, x]) => [...encode(k), ...encode(x)])];
}

interface TrieNode {
  kids: [TrieNode | number | null, TrieNode | number | null];
}

/** Writes a database whose networks (CIDR strings) map to the given records (tree records of `recordSize` bits). */
export function writeMmdb(
  ipVersion: 4 | 6,
  networks: readonly [cidr: string, record: MmdbValue][],
  recordSize: 24 | 28 | 32 = 24,
): Buffer {
  const data: number[] = [];
  const root: TrieNode = { kids: [null, null] };
  const bitCount = ipVersion === 4 ? 32 : 128;
  for (const [cidr, record] of networks) {
    const [addr, lenText] = cidr.split('/') as [string, string];
    const bits = new Uint8Array(16);
    let prefix = Number(lenText);
    const v4 = parseIPv4(addr);
    if (v4 >= 0) {
      if (ipVersion === 6) {
        bits.set([v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255], 12);
        prefix += 96;
      } else bits.set([v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255], 0);
    } else if (!parseIPv6(addr, bits)) throw new Error(`bad network ${cidr}`);
    const offset = data.length;
    data.push(...encode(record));
    let node = root;
    for (let i = 0; i < prefix; i++) {
      const bit = (bits[i >> 3]! >> (7 - (i & 7))) & 1;
      if (i === prefix - 1) node.kids[bit] = offset;
      else {
        let next = node.kids[bit];
        if (typeof next !== 'object' || next === null) {
          next = { kids: [null, null] };
          node.kids[bit] = next;
        }
        node = next;
      }
    }
  }
  if (bitCount === 32 && networks.length === 0) throw new Error('no networks');
  const order: TrieNode[] = [];
  const index = new Map<TrieNode, number>();
  const visit = (n: TrieNode): void => {
    index.set(n, order.length);
    order.push(n);
    for (const k of n.kids) if (k && typeof k === 'object') visit(k);
  };
  visit(root);
  const nodeCount = order.length;
  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  const recordValue = (k: TrieNode | number | null): number =>
    k === null ? nodeCount : typeof k === 'number' ? nodeCount + 16 + k : index.get(k)!;
  order.forEach((n, i) => {
    const left = recordValue(n.kids[0]);
    const right = recordValue(n.kids[1]);
    const at = i * nodeBytes;
    if (recordSize === 24) {
      tree.writeUIntBE(left, at, 3);
      tree.writeUIntBE(right, at + 3, 3);
    } else if (recordSize === 28) {
      // the middle byte holds the high nibble of each record
      tree.writeUIntBE(left & 0xffffff, at, 3);
      tree[at + 3] = ((left >>> 24) << 4) | (right >>> 24);
      tree.writeUIntBE(right & 0xffffff, at + 4, 3);
    } else {
      tree.writeUInt32BE(left, at);
      tree.writeUInt32BE(right, at + 4);
    }
  });
  const metadata = encode({
    node_count: nodeCount,
    record_size: recordSize,
    ip_version: ipVersion,
    database_type: 'flowlens-test',
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_700_000_000,
    description: { en: 'flowlens test database' },
  });
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    Buffer.from(data),
    Buffer.from([0xab, 0xcd, 0xef]),
    Buffer.from('MaxMind.com', 'ascii'),
    Buffer.from(metadata),
  ]);
}
