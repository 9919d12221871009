import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The dashboard token check: `Authorization: Bearer <token>` or `?token=` (for download links).
 * Both sides are hashed first so the comparison takes the same time whatever the lengths.
 */
export function tokenMatches(expected: string, request: Request, url: URL): boolean {
  const header = request.headers.get('authorization') ?? '';
  const given = header.toLowerCase().startsWith('bearer ')
    ? header.slice(7).trim()
    : (url.searchParams.get('token') ?? '');
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b) && given.length > 0;
}

/** Whether a listen address only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
