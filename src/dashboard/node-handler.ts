import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FetchHandler } from './app.js';

/** Adapts the fetch-style dashboard to node's http server (GET and HEAD only: no body to read). */
export function toNodeHandler(
  handler: FetchHandler,
  base: string,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string') headers.set(k, v);
      else if (Array.isArray(v)) headers.set(k, v.join(', '));
    }
    const response = await handler(
      new Request(new URL(req.url ?? '/', base), { method: req.method ?? 'GET', headers }),
    );
    res.statusCode = response.status;
    for (const [key, value] of response.headers) res.setHeader(key, value);
    const body = req.method === 'HEAD' ? undefined : Buffer.from(await response.arrayBuffer());
    res.end(body);
  };
}
