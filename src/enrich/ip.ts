/**
 * IP address parsing straight from the strings the decoders intern, without splitting or
 * allocating: IPv4 becomes a uint32, IPv6 is written into a caller-owned 16-byte array.
 */

/** The IPv4 address in `s` as an unsigned 32-bit number, or -1 if `s` is not dotted-quad IPv4. */
export function parseIPv4(s: string): number {
  const n = s.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // A leading zero followed by more digits is ambiguous (octal in some parsers): reject it.
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses an IPv6 address (with `::` compression and an optional dotted IPv4 tail) into
 * `out[offset..offset+16)`. Returns false, leaving `out` unspecified, if `s` is not IPv6.
 */
export function parseIPv6(s: string, out: Uint8Array, offset = 0): boolean {
  const n = s.length;
  if (n < 2 || n > 45) return false;
  // Groups are written left to right; after `::` they go to a side buffer moved right at the end.
  let groups = 0;
  let gapAt = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gapAt = 0;
    i = 2;
    if (n === 2) {
      out.fill(0, offset, offset + 16);
      return true;
    }
  }
  while (i < n) {
    if (groups >= 8) return false;
    // An IPv4 tail: the rest of the string holds a dot.
    let hasDot = false;
    let j = i;
    while (j < n && s.charCodeAt(j) !== 58) {
      if (s.charCodeAt(j) === 46) hasDot = true;
      j++;
    }
    if (hasDot) {
      if (j !== n || groups > 6) return false;
      const v4 = parseIPv4(s.slice(i));
      if (v4 < 0) return false;
      const at = offset + groups * 2;
      out[at] = v4 >>> 24;
      out[at + 1] = (v4 >>> 16) & 255;
      out[at + 2] = (v4 >>> 8) & 255;
      out[at + 3] = v4 & 255;
      groups += 2;
      i = n;
      break;
    }
    const len = j - i;
    if (len === 0 || len > 4) return false;
    let g = 0;
    for (let k = i; k < j; k++) {
      const h = hexValue(s.charCodeAt(k));
      if (h < 0) return false;
      g = g * 16 + h;
    }
    const at = offset + groups * 2;
    out[at] = g >>> 8;
    out[at + 1] = g & 255;
    groups++;
    if (j === n) {
      i = n;
      break;
    }
    // j is at a colon
    if (j + 1 < n && s.charCodeAt(j + 1) === 58) {
      if (gapAt >= 0) return false;
      gapAt = groups;
      i = j + 2;
    } else {
      if (j + 1 === n) return false;
      i = j + 1;
    }
  }
  if (gapAt < 0) return groups === 8;
  if (groups > 7) return false;
  // Move the groups after the gap to the end, zero the gap.
  const tail = (groups - gapAt) * 2;
  const from = offset + gapAt * 2;
  const to = offset + 16 - tail;
  out.copyWithin(to, from, from + tail);
  out.fill(0, from, to);
  return true;
}
