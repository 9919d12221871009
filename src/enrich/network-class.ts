import { parseIPv4, parseIPv6 } from './ip.js';

/**
 * Address classes (IANA special-purpose registries, RFC 6890). Codes index NETWORK_CLASSES;
 * 0 means "no address" so a Uint8Array of codes maps straight onto a string column dictionary.
 */
export const NETWORK_CLASSES = [
  '',
  'private',
  'shared',
  'loopback',
  'link-local',
  'multicast',
  'documentation',
  'benchmarking',
  'unspecified',
  'broadcast',
  'reserved',
  'public',
] as const;

export type NetworkClass = Exclude<(typeof NETWORK_CLASSES)[number], ''>;

export const NC = {
  none: 0,
  private: 1,
  shared: 2,
  loopback: 3,
  linkLocal: 4,
  multicast: 5,
  documentation: 6,
  benchmarking: 7,
  unspecified: 8,
  broadcast: 9,
  reserved: 10,
  public: 11,
} as const;

/** Classes on the near side of a VPC boundary: traffic between two of them never left the private network. */
const LOCAL = new Uint8Array(NETWORK_CLASSES.length);
for (const c of [
  NC.private,
  NC.shared,
  NC.loopback,
  NC.linkLocal,
  NC.multicast,
  NC.unspecified,
  NC.broadcast,
]) {
  LOCAL[c] = 1;
}

/** Class code of an IPv4 address given as a uint32. */
export function classifyIPv4(a: number): number {
  const o1 = a >>> 24;
  const o2 = (a >>> 16) & 255;
  const o3 = (a >>> 8) & 255;
  if (o1 === 10) return NC.private;
  if (o1 === 172 && o2 >= 16 && o2 <= 31) return NC.private;
  if (o1 === 192 && o2 === 168) return NC.private;
  if (o1 === 100 && o2 >= 64 && o2 <= 127) return NC.shared;
  if (o1 === 127) return NC.loopback;
  if (o1 === 169 && o2 === 254) return NC.linkLocal;
  if (o1 === 0) return NC.unspecified;
  if (o1 >= 224 && o1 <= 239) return NC.multicast;
  if (a === 0xffffffff) return NC.broadcast;
  if (o1 >= 240) return NC.reserved;
  if (o1 === 192 && o2 === 0 && o3 === 2) return NC.documentation;
  if (o1 === 198 && o2 === 51 && o3 === 100) return NC.documentation;
  if (o1 === 203 && o2 === 0 && o3 === 113) return NC.documentation;
  if (o1 === 198 && (o2 === 18 || o2 === 19)) return NC.benchmarking;
  if (o1 === 192 && o2 === 0 && o3 === 0) return NC.reserved;
  return NC.public;
}

/** Class code of an IPv6 address held in b[o..o+16). */
export function classifyIPv6(b: Uint8Array, o = 0): number {
  let zeroPrefix = true;
  for (let k = 0; k < 10; k++) if (b[o + k] !== 0) zeroPrefix = false;
  if (zeroPrefix) {
    const w5 = (b[o + 10]! << 8) | b[o + 11]!;
    if (w5 === 0xffff)
      return classifyIPv4(((b[o + 12]! << 24) | (b[o + 13]! << 16) | (b[o + 14]! << 8) | b[o + 15]!) >>> 0);
    if (w5 === 0) {
      let low = 0;
      for (let k = 12; k < 15; k++) low |= b[o + k]!;
      const last = b[o + 15]!;
      if (low === 0 && last === 0) return NC.unspecified;
      if (low === 0 && last === 1) return NC.loopback;
    }
    return NC.reserved;
  }
  const b0 = b[o]!;
  const b1 = b[o + 1]!;
  if (b0 === 0xff) return NC.multicast;
  if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return NC.linkLocal;
  if ((b0 & 0xfe) === 0xfc) return NC.private; // unique local addresses, fc00::/7
  if (b0 === 0x20 && b1 === 0x01 && b[o + 2] === 0x0d && b[o + 3] === 0xb8) return NC.documentation;
  if (b0 === 0x3f && b1 === 0xff && (b[o + 2]! & 0xf0) === 0) return NC.documentation; // 3fff::/20
  if (b0 === 0x20 && b1 === 0x01 && b[o + 2] === 0 && b[o + 3] === 2 && b[o + 4] === 0 && b[o + 5] === 0) {
    return NC.benchmarking; // 2001:2::/48
  }
  if (b0 === 0x00 && b1 === 0x64 && b[o + 2] === 0xff && b[o + 3] === 0x9b) {
    // NAT64 well-known prefix 64:ff9b::/96 embeds the IPv4 peer.
    return classifyIPv4(((b[o + 12]! << 24) | (b[o + 13]! << 16) | (b[o + 14]! << 8) | b[o + 15]!) >>> 0);
  }
  if ((b0 & 0xe0) === 0x20) return NC.public; // global unicast 2000::/3
  return NC.reserved;
}

const scratch = new Uint8Array(16);

/** Class code of an address string; NC.none when it is not an IP address. */
export function classifyAddress(s: string): number {
  const v4 = parseIPv4(s);
  if (v4 >= 0) return classifyIPv4(v4);
  if (parseIPv6(s, scratch)) return classifyIPv6(scratch);
  return NC.none;
}

export function classifyName(s: string): NetworkClass | null {
  const c = classifyAddress(s);
  return c === NC.none ? null : (NETWORK_CLASSES[c] as NetworkClass);
}

export const FLOW_CLASSES = ['', 'internal', 'inbound', 'outbound', 'external'] as const;

/** flow_class code from the two endpoint classes: 0 when either is unknown. */
export function flowClassCode(src: number, dst: number): number {
  if (src === NC.none || dst === NC.none) return 0;
  const srcLocal = LOCAL[src] === 1;
  const dstLocal = LOCAL[dst] === 1;
  if (srcLocal && dstLocal) return 1;
  if (!srcLocal && dstLocal) return 2;
  if (srcLocal && !dstLocal) return 3;
  return 4;
}
