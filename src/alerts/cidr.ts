import { parseIPv4, parseIPv6 } from '../enrich/ip.js';

/** An IPv4 or IPv6 prefix as four big-endian words and a length (IPv4 in the first word). */
export interface Cidr {
  readonly family: 4 | 6;
  readonly words: Uint32Array;
  readonly bits: number;
  readonly text: string;
}

/** Parses `a.b.c.d/n`, `x:y::/n` or a bare address (a /32 or /128); null when it is neither. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const v4 = parseIPv4(addr);
  const words = new Uint32Array(4);
  let family: 4 | 6;
  if (v4 >= 0) {
    family = 4;
    words[0] = v4;
  } else {
    const bytes = new Uint8Array(16);
    if (!parseIPv6(addr, bytes)) return null;
    family = 6;
    const view = new DataView(bytes.buffer);
    for (let k = 0; k < 4; k++) words[k] = view.getUint32(4 * k);
  }
  const max = family === 4 ? 32 : 128;
  const bits = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(bits) || bits < 0 || bits > max || (slash >= 0 && text.slice(slash + 1) === ''))
    return null;
  return { family, words, bits, text };
}

/** True when the address (family, its words at `words[at..at+4)`) lies in the prefix. */
export function inCidr(c: Cidr, family: number, words: Uint32Array, at: number): boolean {
  if (family !== c.family) return false;
  let left = c.bits;
  for (let k = 0; k < 4 && left > 0; k++) {
    const take = Math.min(32, left);
    const mask = take === 32 ? 0xffffffff : ~(0xffffffff >>> take) >>> 0;
    if (((words[at + k]! ^ c.words[k]!) & mask) >>> 0 !== 0) return false;
    left -= take;
  }
  return true;
}

/** The address `offset` above the prefix's base (the VPC resolver is base + 2), as text. */
export function cidrBasePlus(c: Cidr, offset: number): string {
  if (c.family === 4) {
    const mask = c.bits === 0 ? 0 : ~(0xffffffff >>> c.bits) >>> 0;
    const v = (((c.words[0]! & mask) >>> 0) + offset) >>> 0;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  throw new Error('an IPv6 VPC resolver is fd00:ec2::253, not a prefix offset');
}
