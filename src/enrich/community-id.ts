import { hash } from 'node:crypto';
import type { FlowBatch } from '../batch/flow-batch.js';
import type { Enricher } from '../pipeline/types.js';
import { addressTable } from './addresses.js';
import { parseIPv4, parseIPv6 } from './ip.js';
import { hasPorts } from './protocols.js';

/**
 * Community ID v1 (the corelight community-id-spec): base64 of SHA-1 over
 * seed(2) · src ip · dst ip · proto(1) · 0(1) · src port(2) · dst port(2), with the endpoints
 * ordered so both directions of a flow hash alike. For ICMP the "ports" are type and code, and
 * request/reply types are paired so an echo and its reply share an id.
 */

const ICMP4_PAIRS = new Map<number, number>([
  [8, 0],
  [0, 8], // echo / echo reply
  [13, 14],
  [14, 13], // timestamp
  [15, 16],
  [16, 15], // information
  [10, 9],
  [9, 10], // router solicitation / advertisement
  [17, 18],
  [18, 17], // address mask
]);
const ICMP6_PAIRS = new Map<number, number>([
  [128, 129],
  [129, 128], // echo
  [133, 134],
  [134, 133], // router solicitation / advertisement
  [135, 136],
  [136, 135], // neighbor solicitation / advertisement
  [130, 131],
  [131, 130], // multicast listener query / report
  [139, 140],
  [140, 139], // node information query / reply
  [144, 145],
  [145, 144], // home agent address discovery
  [146, 147],
  [147, 146], // mobile prefix solicitation / advertisement
]);

/** A parsed address: 4 or 16 bytes in `bytes`; `key` is the IPv4 address as a number (0 for IPv6). */
interface Parsed {
  readonly bytes: Uint8Array;
  readonly len: number;
  readonly key: number;
}

function parseAddress(s: string): Parsed | null {
  const v4 = parseIPv4(s);
  if (v4 >= 0) {
    const bytes = new Uint8Array(4);
    bytes[0] = v4 >>> 24;
    bytes[1] = (v4 >>> 16) & 255;
    bytes[2] = (v4 >>> 8) & 255;
    bytes[3] = v4 & 255;
    return { bytes, len: 4, key: v4 };
  }
  const bytes = new Uint8Array(16);
  return parseIPv6(s, bytes) ? { bytes, len: 16, key: 0 } : null;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let k = 0; k < a.length; k++) {
    const d = a[k]! - b[k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Computes Community IDs into reused buffers, one per input length (IPv4/IPv6, with or without
 * ports), with the seed written once: no allocation per flow but the result string.
 */
export class CommunityId {
  // Input lengths: seed 2 + addresses 2×4 or 2×16 + proto/pad 2 + ports 4 when the protocol has them.
  private readonly v4 = this.seeded(16);
  private readonly v4NoPorts = this.seeded(12);
  private readonly v6 = this.seeded(40);
  private readonly v6NoPorts = this.seeded(36);

  constructor(readonly seed = 0) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 65535) throw new RangeError('seed must be 0–65535');
    for (const b of [this.v4, this.v4NoPorts, this.v6, this.v6NoPorts]) {
      b[0] = seed >>> 8;
      b[1] = seed & 255;
    }
  }

  private seeded(length: number): Buffer {
    return Buffer.alloc(length);
  }

  /** The id, or null when an address does not parse or the families differ. */
  ofParsed(
    src: Parsed,
    dst: Parsed,
    proto: number,
    srcPort: number | null,
    dstPort: number | null,
  ): string | null {
    const len = src.len;
    if (len !== dst.len || !(proto >= 0 && proto <= 255 && (proto | 0) === proto)) return null;
    const ports = hasPorts(proto);
    let sp = srcPort ?? 0;
    let dp = dstPort ?? 0;
    let oneWay = false;
    if (proto === 1 || proto === 58) {
      // Flow logs carry the ICMP type in srcport and the code in dstport when they carry them at all.
      const pair = (proto === 1 ? ICMP4_PAIRS : ICMP6_PAIRS).get(sp);
      if (pair === undefined) oneWay = true;
      else dp = pair;
    }
    let a = src.bytes;
    let b = dst.bytes;
    if (!oneWay) {
      // IPv4 compares as one number; IPv6 byte by byte.
      const c = len === 4 ? src.key - dst.key : compareBytes(a, b);
      if (c > 0 || (c === 0 && sp > dp)) {
        a = dst.bytes;
        b = src.bytes;
        const t = sp;
        sp = dp;
        dp = t;
      }
    }
    const buf = len === 4 ? (ports ? this.v4 : this.v4NoPorts) : ports ? this.v6 : this.v6NoPorts;
    for (let k = 0; k < len; k++) {
      buf[2 + k] = a[k]!;
      buf[2 + len + k] = b[k]!;
    }
    let o = 2 + 2 * len;
    buf[o++] = proto;
    buf[o++] = 0;
    if (ports) {
      buf[o++] = (sp >>> 8) & 255;
      buf[o++] = sp & 255;
      buf[o++] = (dp >>> 8) & 255;
      buf[o] = dp & 255;
    }
    return `1:${hash('sha1', buf, 'base64')}`;
  }

  /** The id of a flow given as strings and numbers (for tests and one-off use). */
  of(src: string, dst: string, proto: number, srcPort: number | null, dstPort: number | null): string | null {
    const s = parseAddress(src);
    const d = parseAddress(dst);
    return s && d ? this.ofParsed(s, d, proto, srcPort, dstPort) : null;
  }
}

/** `community_id` over the original endpoints (pkt-srcaddr/pkt-dstaddr when present). */
export function communityIdEnricher(seed: number): Enricher {
  const cid = new CommunityId(seed);
  return {
    name: 'community-id',
    columns: ['community_id'],
    enrich(batch: FlowBatch): void {
      const table = addressTable(batch);
      // Every distinct address of the batch is used by some row: parse them all once.
      const parsed: (Parsed | null)[] = new Array(table.values.length);
      parsed[0] = null;
      for (let id = 1; id < table.values.length; id++) parsed[id] = parseAddress(table.values[id]!);
      const n = batch.length;
      const protoCol = batch.column('protocol');
      const sportCol = batch.column('srcport');
      const dportCol = batch.column('dstport');
      if (protoCol?.kind !== 'num') {
        batch.extra.set('community_id', { kind: 'str', codes: new Uint32Array(n), dict: [''] });
        return;
      }
      const proto = protoCol.values;
      const sport = sportCol?.kind === 'num' ? sportCol.values : new Float64Array(n).fill(Number.NaN);
      const dport = dportCol?.kind === 'num' ? dportCol.values : new Float64Array(n).fill(Number.NaN);
      const { srcIds, dstIds } = table;
      // Flows rarely repeat within a batch, so the dictionary is row order without a lookup per
      // row; a row without an id keeps code 0.
      const codes = new Uint32Array(n);
      const dict: string[] = new Array(n + 1);
      dict[0] = '';
      let next = 1;
      for (let i = 0; i < n; i++) {
        const p = proto[i]!;
        if (Number.isNaN(p)) continue; // no protocol (NODATA/SKIPDATA)
        const s = parsed[srcIds[i]!]!;
        const d = parsed[dstIds[i]!]!;
        if (s === null || d === null) continue;
        const sp = sport[i]!;
        const dp = dport[i]!;
        const id = cid.ofParsed(s, d, p, Number.isNaN(sp) ? null : sp, Number.isNaN(dp) ? null : dp);
        if (id === null) continue;
        codes[i] = next;
        dict[next++] = id;
      }
      dict.length = next;
      batch.extra.set('community_id', { kind: 'str', codes, dict });
    },
  };
}
