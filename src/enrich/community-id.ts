import { hash } from 'node:crypto';
import type { FlowBatch } from '../batch/flow-batch.js';
import { StrColumnBuilder } from '../batch/flow-batch.js';
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
  [8, 0], [0, 8], // echo / echo reply
  [13, 14], [14, 13], // timestamp
  [15, 16], [16, 15], // information
  [10, 9], [9, 10], // router solicitation / advertisement
  [17, 18], [18, 17], // address mask
]);
const ICMP6_PAIRS = new Map<number, number>([
  [128, 129], [129, 128], // echo
  [133, 134], [134, 133], // router solicitation / advertisement
  [135, 136], [136, 135], // neighbor solicitation / advertisement
  [130, 131], [131, 130], // multicast listener query / report
  [139, 140], [140, 139], // node information query / reply
  [144, 145], [145, 144], // home agent address discovery
  [146, 147], [147, 146], // mobile prefix solicitation / advertisement
]);

/** A parsed address: 4 or 16 bytes in `bytes`. */
interface Parsed {
  readonly bytes: Uint8Array;
  readonly len: number;
}

function parseAddress(s: string): Parsed | null {
  const v4 = parseIPv4(s);
  if (v4 >= 0) {
    const bytes = new Uint8Array(4);
    bytes[0] = v4 >>> 24;
    bytes[1] = (v4 >>> 16) & 255;
    bytes[2] = (v4 >>> 8) & 255;
    bytes[3] = v4 & 255;
    return { bytes, len: 4 };
  }
  const bytes = new Uint8Array(16);
  return parseIPv6(s, bytes) ? { bytes, len: 16 } : null;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let k = 0; k < a.length; k++) {
    const d = a[k]! - b[k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Computes Community IDs into a reused 40-byte buffer: no allocation but the result string. */
export class CommunityId {
  private readonly buf = Buffer.alloc(40);

  constructor(readonly seed = 0) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 65535) throw new RangeError('seed must be 0–65535');
  }

  /** The id, or null when an address does not parse or the families differ. */
  ofParsed(src: Parsed, dst: Parsed, proto: number, srcPort: number | null, dstPort: number | null): string | null {
    if (src.len !== dst.len || !Number.isInteger(proto) || proto < 0 || proto > 255) return null;
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
    let a = src;
    let b = dst;
    if (!oneWay) {
      const c = compareBytes(src.bytes, dst.bytes);
      if (c > 0 || (c === 0 && sp > dp)) {
        a = dst;
        b = src;
        const t = sp;
        sp = dp;
        dp = t;
      }
    }
    const buf = this.buf;
    buf.writeUInt16BE(this.seed, 0);
    buf.set(a.bytes, 2);
    buf.set(b.bytes, 2 + a.len);
    let o = 2 + 2 * a.len;
    buf[o++] = proto;
    buf[o++] = 0;
    if (ports) {
      buf.writeUInt16BE(sp & 0xffff, o);
      buf.writeUInt16BE(dp & 0xffff, o + 2);
      o += 4;
    }
    return `1:${hash('sha1', buf.subarray(0, o), 'base64')}`;
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
      const parsed: (Parsed | null | undefined)[] = new Array(table.values.length);
      const get = (id: number): Parsed | null => {
        if (id === 0) return null;
        let p = parsed[id];
        if (p === undefined) {
          p = parseAddress(table.values[id]!);
          parsed[id] = p;
        }
        return p;
      };
      const protoCol = batch.column('protocol');
      const sportCol = batch.column('srcport');
      const dportCol = batch.column('dstport');
      const proto = protoCol?.kind === 'num' ? protoCol.values : null;
      const sport = sportCol?.kind === 'num' ? sportCol.values : null;
      const dport = dportCol?.kind === 'num' ? dportCol.values : null;
      const out = new StrColumnBuilder(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const p = proto ? proto[i]! : Number.NaN;
        const s = Number.isNaN(p) ? null : get(table.srcIds[i]!);
        const d = s ? get(table.dstIds[i]!) : null;
        if (!s || !d) {
          out.set(i, null);
          continue;
        }
        const sp = sport ? sport[i]! : Number.NaN;
        const dp = dport ? dport[i]! : Number.NaN;
        out.set(i, cid.ofParsed(s, d, p, Number.isNaN(sp) ? null : sp, Number.isNaN(dp) ? null : dp));
      }
      batch.extra.set('community_id', out.build(batch.length));
    },
  };
}
