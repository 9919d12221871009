import { DeliveryError } from './errors.js';
import type { HttpResponse } from './http1/types.js';

/** Redirects followed for one request before it fails. */
export const MAX_REDIRECTS = 5;

/**
 * 307 and 308 are followed: they promise the same method and body at the new URL. 301, 302 and
 * 303 let a client turn a POST into a GET, which would drop the records while the GET succeeds:
 * they are not followed, and httpFailure reports them as permanent.
 */
export function isFollowedRedirect(status: number): boolean {
  return status === 307 || status === 308;
}

/** Credentials meant for the first origin only (as fetch and undici drop them). */
const ORIGIN_BOUND = ['authorization', 'cookie', 'proxy-authorization', 'host'];

/**
 * Resends the same body while the answer is a 307/308, at most MAX_REDIRECTS times. A redirect
 * to another origin does not carry Authorization or Cookie; one from https to http, one without
 * a Location and one past the limit are permanent failures naming where they pointed.
 * `headers` are every header of the first request, lower-case names.
 */
export async function followRedirects(
  first: HttpResponse,
  firstUrl: URL,
  headers: Readonly<Record<string, string>>,
  where: string,
  send: (url: URL, headers: Readonly<Record<string, string>>) => Promise<HttpResponse>,
): Promise<HttpResponse> {
  let res = first;
  let url = firstUrl;
  let current = headers;
  for (let hops = 0; isFollowedRedirect(res.status); hops++) {
    const location = headerText(res.headers.location);
    if (!location) {
      throw new DeliveryError(`${where}: HTTP ${res.status} redirect without a Location header`, false);
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new DeliveryError(
        `${where}: HTTP ${res.status} redirect to an invalid URL ${JSON.stringify(location)}`,
        false,
      );
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new DeliveryError(
        `${where}: HTTP ${res.status} redirect to ${next.href}: not an http(s) URL`,
        false,
      );
    }
    if (url.protocol === 'https:' && next.protocol === 'http:') {
      throw new DeliveryError(
        `${where}: HTTP ${res.status} redirect to ${next.href}: not followed from https to plain http`,
        false,
      );
    }
    if (hops === MAX_REDIRECTS) {
      throw new DeliveryError(
        `${where}: more than ${MAX_REDIRECTS} redirects (the last to ${next.href}); set the URL to the final location`,
        false,
      );
    }
    if (next.origin !== firstUrl.origin && current === headers) current = withoutOriginBound(headers);
    url = next;
    res = await send(url, current);
  }
  return res;
}

function withoutOriginBound(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) if (!ORIGIN_BOUND.includes(name.toLowerCase())) out[name] = headers[name]!;
  return out;
}

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
