import { ConfigError } from '../config/options.js';

/**
 * Which proxy, if any, a request to a URL goes through: the conventional environment variables
 * HTTPS_PROXY (https targets), HTTP_PROXY (http targets) and NO_PROXY, each in lower case or
 * upper case (lower case wins, as curl and undici read them). Resolved once per sink into a plain
 * object, so it crosses to a worker thread unchanged.
 */
export interface ProxyEnv {
  readonly httpProxy?: string;
  readonly httpsProxy?: string;
  readonly noProxy?: string;
}

function pick(env: NodeJS.ProcessEnv, lower: string, upper: string): [string, string] | undefined {
  const l = env[lower];
  if (l !== undefined && l.trim() !== '') return [lower, l.trim()];
  const u = env[upper];
  if (u !== undefined && u.trim() !== '') return [upper, u.trim()];
  return undefined;
}

/** Reads and checks the proxy variables; a bad one is a ConfigError naming it. */
export function proxyEnv(env: NodeJS.ProcessEnv): ProxyEnv {
  const http = pick(env, 'http_proxy', 'HTTP_PROXY');
  const https = pick(env, 'https_proxy', 'HTTPS_PROXY');
  const no = pick(env, 'no_proxy', 'NO_PROXY');
  if (http) proxyUrl(http[1], http[0]);
  if (https) proxyUrl(https[1], https[0]);
  return {
    ...(http ? { httpProxy: http[1] } : {}),
    ...(https ? { httpsProxy: https[1] } : {}),
    ...(no ? { noProxy: no[1] } : {}),
  };
}

/**
 * A proxy setting as a URL. A bare `host:port` means http://host:port, as curl reads it. Only
 * plain-HTTP proxies are supported (CONNECT for https targets, absolute-form for http ones).
 */
export function proxyUrl(value: string, variable: string): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${variable}: not a proxy URL (got ${JSON.stringify(value)})`);
  }
  if (url.protocol !== 'http:') {
    throw new ConfigError(
      `${variable}: only http:// proxies are supported (got ${JSON.stringify(url.protocol)})`,
    );
  }
  if (url.hostname === '') throw new ConfigError(`${variable}: the proxy URL names no host`);
  return url;
}

/** The proxy for `target`, or undefined for a direct connection. */
export function proxyFor(target: URL, proxies: ProxyEnv | undefined): URL | undefined {
  if (!proxies) return undefined;
  const secure = target.protocol === 'https:';
  const value = secure ? proxies.httpsProxy : proxies.httpProxy;
  if (!value) return undefined;
  if (proxies.noProxy && bypassed(target, proxies.noProxy)) return undefined;
  return proxyUrl(value, secure ? 'HTTPS_PROXY' : 'HTTP_PROXY');
}

/**
 * NO_PROXY: entries separated by commas or spaces; `*` bypasses every host; `host` matches the
 * host and its subdomains (a leading `.` or `*.` means the same); `host:port` only that port;
 * an IP address matches itself. Brackets around IPv6 addresses are optional.
 */
export function bypassed(target: URL, noProxy: string): boolean {
  const host = bare(target.hostname.toLowerCase());
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let entryPort = '';
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    if (m) {
      entry = m[1]!;
      entryPort = m[2]!;
    }
    entry = bare(entry).replace(/^\*?\./, '');
    if (entryPort !== '' && entryPort !== port) continue;
    if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

function bare(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** `Basic …` for a proxy URL that carries user:password, else undefined. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === '' && proxy.password === '') return undefined;
  const user = decodeURIComponent(proxy.username);
  const password = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** The proxy for messages: its origin, never its credentials. */
export function proxyLabel(proxy: URL): string {
  return `proxy ${proxy.protocol}//${proxy.host}`;
}
