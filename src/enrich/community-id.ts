import type { FlowBatch } from '../batch/flow-batch.js';
import type { Enricher } from '../core/types.js';
import { addressTable } from './addresses.js';
import { CommunityIdKernel } from './community-id-wasm.js';
import { charPair, fixedWidthStrings } from './fixed-strings.js';
import { parseIPv4, parseIPv6 } from './ip.js';
import { hasPorts } from './protocols.js';
import { SHA1_BASE64_LENGTH, Sha1Block } from './sha1-block.js';

/**
 * Community ID v1 (the corelight community-id-spec): base64 of SHA-1 over
 * seed(2) · src ip · dst ip · proto(1) · 0(1) · src port(2) · dst port(2), with the endpoints
 * ordered so both directions of a flow hash alike. For ICMP the "ports" are type and code, and
 * request/reply types are paired so an echo and its reply share an id.
 */

/** Request/reply type pairs, indexed by type: the counterpart type, or -1 for a one-way type. */
function pairTable(pairs: readonly (readonly [number, number])[]): Int16Array {
  const table = new Int16Array(256).fill(-1);
  for (const [a, b] of pairs) {
    table[a] = b;
    table[b] = a;
  }
  return table;
}

const ICMP4_PAIRS = pairTable([
  [8, 0], // echo / echo reply
  [13, 14], // timestamp
  [15, 16], // information
  [10, 9], // router solicitation / advertisement
  [17, 18], // address mask
]);
const ICMP6_PAIRS = pairTable([
  [128, 129], // echo
  [133, 134], // router solicitation / advertisement
  [135, 136], // neighbor solicitation / advertisement
  [130, 131], // multicast listener query / report
  [139, 140], // node information query / reply
  [144, 145], // home agent address discovery
  [146, 147], // mobile prefix solicitation / advertisement
]);

/**
 * Endpoints as numbers, one slot per address: `family[k]` is 4, 6 or 0 (not an address) and
 * `words[4k..4k+4)` the address as big-endian 32-bit words (IPv4 in the first word). Ordering and
 * hashing work on these numbers; no address is turned back into bytes or strings per flow. A
 * batch's address table has this shape.
 */
export interface EndpointWords {
  readonly family: Uint8Array;
  readonly words: Uint32Array;
}

/** Endpoints parsed from text, for one-off use. */
export class Endpoints implements EndpointWords {
  readonly family: Uint8Array;
  readonly words: Uint32Array;
  private readonly bytes16 = new Uint8Array(16);

  constructor(readonly size: number) {
    this.family = new Uint8Array(size);
    this.words = new Uint32Array(size * 4);
  }

  /** Parses `s` into slot `k`; an unparsable address leaves the slot's family 0. */
  set(k: number, s: string): void {
    const v4 = parseIPv4(s);
    if (v4 >= 0) {
      this.family[k] = 4;
      this.words[4 * k] = v4;
      return;
    }
    const b = this.bytes16;
    if (!parseIPv6(s, b)) {
      this.family[k] = 0;
      return;
    }
    this.family[k] = 6;
    for (let j = 0; j < 4; j++) {
      this.words[4 * k + j] =
        ((b[4 * j]! << 24) | (b[4 * j + 1]! << 16) | (b[4 * j + 2]! << 8) | b[4 * j + 3]!) >>> 0;
    }
  }
}

/** "1:" followed by the base64 digest. */
export const COMMUNITY_ID_LENGTH = 2 + SHA1_BASE64_LENGTH;
const VERSION_PREFIX = charPair(49, 58); // "1:"

/**
 * Computes Community IDs from numeric endpoints into caller-owned byte buffers: the SHA-1 input
 * block is written as words straight from the numbers and hashed in place, so a flow costs no
 * allocation at all; the caller turns the bytes into strings (the enricher does it once per batch).
 */
export class CommunityId {
  private readonly sha = new Sha1Block();
  private readonly seedHigh: number;

  constructor(readonly seed = 0) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 65535) throw new RangeError('seed must be 0–65535');
    this.seedHigh = seed << 16;
  }

  /**
   * Writes the id of the flow between slots `src` and `dst` of `ep` (`COMMUNITY_ID_LENGTH`
   * characters of ASCII) into the bytes under `out`, two per element, from element `at` on.
   * Returns false, writing nothing, when an address did not parse, the families differ or the
   * protocol is not a number 0–255. A missing port is NaN and counts as 0.
   */
  write(
    ep: EndpointWords,
    src: number,
    dst: number,
    proto: number,
    srcPort: number,
    dstPort: number,
    out: Uint16Array,
    at: number,
  ): boolean {
    const family = ep.family[src]!;
    if (family === 0 || family !== ep.family[dst] || !(proto >= 0 && proto <= 255 && (proto | 0) === proto)) {
      return false;
    }
    let sp = Number.isNaN(srcPort) ? 0 : srcPort;
    let dp = Number.isNaN(dstPort) ? 0 : dstPort;
    let oneWay = false;
    if (proto === 1 || proto === 58) {
      // Flow logs carry the ICMP type in srcport and the code in dstport when they carry them at all.
      const pair =
        sp >= 0 && sp <= 255 && (sp | 0) === sp ? (proto === 1 ? ICMP4_PAIRS : ICMP6_PAIRS)[sp]! : -1;
      if (pair < 0) oneWay = true;
      else dp = pair;
    }
    const words = ep.words;
    let a = 4 * src;
    let b = 4 * dst;
    if (!oneWay) {
      // Lower endpoint first: addresses compare as unsigned words, then the ports.
      let c = words[a]! - words[b]!;
      if (family === 6) {
        for (let j = 1; c === 0 && j < 4; j++) c = words[a + j]! - words[b + j]!;
      }
      if (c > 0 || (c === 0 && sp > dp)) {
        a = 4 * dst;
        b = 4 * src;
        const t = sp;
        sp = dp;
        dp = t;
      }
    }
    // The input: seed(2) · src · dst · proto(1) · 0(1) · [src port(2) · dst port(2)], as words.
    const w = this.sha.words;
    const protoPad = proto << 8; // proto and the zero byte: the low half of the word after the addresses
    const ports = ((sp & 0xffff) << 16) | (dp & 0xffff);
    const withPorts = hasPorts(proto);
    if (family === 4) {
      const x = words[a]!;
      const y = words[b]!;
      w[0] = this.seedHigh | (x >>> 16);
      w[1] = (x << 16) | (y >>> 16);
      w[2] = (y << 16) | protoPad;
      if (withPorts) {
        w[3] = ports;
        this.sha.pad(16);
      } else {
        this.sha.pad(12);
      }
    } else {
      w[0] = this.seedHigh | (words[a]! >>> 16);
      for (let j = 1; j < 4; j++) w[j] = (words[a + j - 1]! << 16) | (words[a + j]! >>> 16);
      w[4] = (words[a + 3]! << 16) | (words[b]! >>> 16);
      for (let j = 1; j < 4; j++) w[4 + j] = (words[b + j - 1]! << 16) | (words[b + j]! >>> 16);
      w[8] = (words[b + 3]! << 16) | protoPad;
      if (withPorts) {
        w[9] = ports;
        this.sha.pad(40);
      } else {
        this.sha.pad(36);
      }
    }
    this.sha.digest();
    out[at] = VERSION_PREFIX;
    this.sha.base64To(out, at + 1);
    return true;
  }

  /** Copies the digest of the last successful `write` (five big-endian words) to `out[at..at+5)`. */
  digestTo(out: Uint32Array, at: number): void {
    const h = this.sha.h;
    for (let k = 0; k < 5; k++) out[at + k] = h[k]!;
  }

  /** The id of a flow given as strings and numbers (for tests and one-off use). */
  of(src: string, dst: string, proto: number, srcPort: number | null, dstPort: number | null): string | null {
    const ep = new Endpoints(2);
    ep.set(0, src);
    ep.set(1, dst);
    const out = new Uint16Array(COMMUNITY_ID_LENGTH / 2);
    const ok = this.write(ep, 0, 1, proto, srcPort ?? Number.NaN, dstPort ?? Number.NaN, out, 0);
    return ok ? Buffer.from(out.buffer).toString('latin1') : null;
  }
}

/** `community_id` over the original endpoints (pkt-srcaddr/pkt-dstaddr when present). */
export function communityIdEnricher(seed: number): Enricher {
  const cid = new CommunityId(seed);
  // Null when WebAssembly is off (FLOWLENS_WASM=0) or not built: the JavaScript path below.
  const kernel = CommunityIdKernel.create(ICMP4_PAIRS, ICMP6_PAIRS);
  // The ids of a batch are written back to back into one buffer, reused across batches.
  let bytes = Buffer.allocUnsafe(0);
  let pairs = new Uint16Array(0);
  return {
    name: 'community-id',
    columns: ['community_id'],
    enrich(batch: FlowBatch): void {
      const n = batch.length;
      const protoCol = batch.column('protocol');
      if (protoCol?.kind !== 'num') {
        batch.extra.set('community_id', { kind: 'str', codes: new Uint32Array(n), dict: [''] });
        return;
      }
      const table = addressTable(batch);
      const proto = protoCol.values;
      const sportCol = batch.column('srcport');
      const dportCol = batch.column('dstport');
      const sport = sportCol?.kind === 'num' ? sportCol.values : null;
      const dport = dportCol?.kind === 'num' ? dportCol.values : null;
      const { srcIds, dstIds } = table;
      const digests = new Uint32Array(5 * (n + 1));
      let codes: Uint32Array;
      let dict: string[];
      let text: Uint8Array;
      if (kernel) {
        const out = kernel.compute(seed, table.family, table.words, srcIds, dstIds, proto, sport, dport, n);
        codes = out.codes.slice();
        digests.set(out.digests, 5);
        dict = new Array(out.count + 1);
        fixedWidthStrings(out.text, out.count, COMMUNITY_ID_LENGTH, dict, 1);
        text = out.text.subarray(0, out.count * COMMUNITY_ID_LENGTH);
      } else {
        if (bytes.length < n * COMMUNITY_ID_LENGTH) {
          // Its own ArrayBuffer (not the shared pool), so the 16-bit view is aligned.
          pairs = new Uint16Array((n * COMMUNITY_ID_LENGTH) / 2);
          bytes = Buffer.from(pairs.buffer);
        }
        // Flows rarely repeat within a batch, so the dictionary is row order without a lookup
        // per row; a row without an id keeps code 0.
        codes = new Uint32Array(n);
        let count = 0;
        for (let i = 0; i < n; i++) {
          // Id 0 (no address) has family 0; NODATA/SKIPDATA rows have no protocol: both write nothing.
          const sp = sport ? sport[i]! : Number.NaN;
          const dp = dport ? dport[i]! : Number.NaN;
          const at = (count * COMMUNITY_ID_LENGTH) / 2;
          if (cid.write(table, srcIds[i]!, dstIds[i]!, proto[i]!, sp, dp, pairs, at)) {
            codes[i] = ++count;
            cid.digestTo(digests, 5 * count);
          }
        }
        dict = new Array(count + 1);
        fixedWidthStrings(bytes, count, COMMUNITY_ID_LENGTH, dict, 1);
        text = bytes.subarray(0, count * COMMUNITY_ID_LENGTH);
      }
      dict[0] = '';
      // the digests and the ids' bytes travel with the column (the store keeps ids as numbers,
      // the OTLP writer copies the bytes); the text is copied: its buffer is reused next batch
      const fixedText = { bytes: new Uint8Array(text), width: COMMUNITY_ID_LENGTH };
      batch.extra.set('community_id', { kind: 'str', codes, dict, digests, fixedText });
    },
  };
}
