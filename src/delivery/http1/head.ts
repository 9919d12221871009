/**
 * Request heads: header validation and rendering. Headers are checked once when they are
 * given (base headers in the client's constructor), so the hot path only concatenates strings.
 */

/** RFC 9110 token characters. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Anything but HTAB, visible ASCII, SP and obs-text: CR, LF and NUL would split or end the head. */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Throws an Error naming the header when its name or value cannot go on the wire as is. */
export function checkHeader(name: string, value: string): void {
  if (!TOKEN.test(name)) throw new Error(`invalid HTTP header name ${JSON.stringify(name)}`);
  if (BAD_VALUE.test(value)) {
    throw new Error(
      `invalid value for HTTP header "${name}": CR, LF, NUL, other control characters and characters beyond U+00FF are not allowed`,
    );
  }
}

/** Header lines we write ourselves: a caller's value would contradict the framing. */
const OWN = new Set(['content-length', 'transfer-encoding']);

/**
 * Validates and renders headers as `name: value\r\n` lines (the head is written as latin1).
 * `host` is left out: it goes first, see requestPrefix.
 */
export function headerLines(headers: Readonly<Record<string, string>>): string {
  let lines = '';
  for (const name in headers) {
    const value = headers[name]!;
    checkHeader(name, value);
    const lower = name.toLowerCase();
    if (lower === 'host' || OWN.has(lower)) continue;
    lines += name + ': ' + value + '\r\n';
  }
  return lines;
}

/** A caller-given Host header (any case), which replaces the URL's. */
export function hostOverride(headers: Readonly<Record<string, string>>): string | undefined {
  for (const name in headers) if (name.toLowerCase() === 'host') return headers[name];
  return undefined;
}

/**
 * Everything of a POST head up to the content-length value: the request line, host (with the
 * port only when the URL names a non-default one, as URL.host does; IPv6 stays bracketed) and
 * the rendered header lines. `absolute`: the request line names the whole URL, as a request to
 * a forward proxy must (RFC 9112 §3.2.2).
 */
export function requestPrefix(url: URL, lines: string, host: string = url.host, absolute = false): string {
  const target = (absolute ? url.origin : '') + url.pathname + url.search;
  return 'POST ' + target + ' HTTP/1.1\r\nhost: ' + host + '\r\n' + lines + 'content-length: ';
}

/** True when the record has no own keys (the common "no per-request headers" case). */
export function isEmpty(headers: Readonly<Record<string, string>>): boolean {
  for (const _ in headers) return false;
  return true;
}
