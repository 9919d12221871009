/**
 * The page's state, all of it in the URL's query string (shareable): the same filter names the
 * API takes, plus the panels' own options.
 */
export const PAGE_OPTIONS = ['by', 'side', 'sort', 'dir', 'offset', 'prices'];

let token: string | null = null;

export function initToken(): void {
  const params = new URLSearchParams(location.search);
  const t = params.get('token');
  if (t) {
    sessionStorage.setItem('flowlens-token', t);
    params.delete('token');
    history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}`);
  }
  token = sessionStorage.getItem('flowlens-token');
}

export function current(): URLSearchParams {
  return new URLSearchParams(location.search);
}

type Listener = () => void;
const listeners: Listener[] = [];

export function onChange(fn: Listener): void {
  listeners.push(fn);
}

export function update(change: (p: URLSearchParams) => void): void {
  const p = current();
  change(p);
  p.delete('offset');
  p.sort();
  history.pushState(null, '', `${location.pathname}${p.size ? `?${p}` : ''}`);
  for (const fn of listeners) fn();
}

window.addEventListener('popstate', () => {
  for (const fn of listeners) fn();
});

/** Adds a filter value (a clicked bar, cell or map region). */
export function addFilter(field: string, value: unknown): void {
  if (value === null || value === undefined || value === '') return;
  update((p) => {
    if (!p.getAll(field).includes(String(value))) p.append(field, String(value));
  });
}

export function removeFilter(field: string, value: string): void {
  update((p) => {
    const rest = p.getAll(field).filter((v) => v !== value);
    p.delete(field);
    for (const v of rest) p.append(field, v);
  });
}

/** The query string the API gets: the filters and options, never the page-only ones. */
export function apiQuery(extra: Record<string, string> = {}): string {
  const p = current();
  p.delete('side');
  p.delete('prices');
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p.toString();
}

export class ApiError extends Error {}

export async function getJson<T>(path: string, extra: Record<string, string> = {}): Promise<T> {
  const q = apiQuery(extra);
  const res = await fetch(`${path}${q ? `?${q}` : ''}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new ApiError(body.error ?? `HTTP ${res.status}`);
  return body;
}

export function downloadUrl(path: string, extra: Record<string, string>): string {
  const q = apiQuery(extra);
  const withToken = token ? `${q}&token=${encodeURIComponent(token)}` : q;
  return `${path}?${withToken}`;
}
