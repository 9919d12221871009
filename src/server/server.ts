import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResolvedOptions } from '../config/options.js';
import { buildEnrichers } from '../enrich/index.js';
import { parseFormat } from '../fields/format.js';
import { buildSinks } from '../pipeline/build.js';
import { RunStats } from '../pipeline/stats.js';
import { mountDashboard } from './dashboard.js';
import { firehoseEndpoint, respond } from './firehose.js';

export interface FlowlensServer {
  readonly server: Server;
  /** The URL it listens on (http://host:port). */
  readonly url: string;
  /** Stops accepting, lets requests in flight finish, then closes. */
  close(): Promise<void>;
}

export interface ServeContext {
  readonly env: NodeJS.ProcessEnv;
  log(message: string): void;
}

/**
 * The HTTP front: `POST /firehose` (Firehose HTTP endpoint delivery) and `GET /healthz`.
 * The sinks are checked once at start (a bad sink setting fails here, not on the first request).
 */
export async function startServer(options: ResolvedOptions, context: ServeContext): Promise<FlowlensServer> {
  // Validate the sink configuration up front: build and close them once.
  const probe = await buildSinks(options, { env: context.env, stats: new RunStats(), log: context.log });
  for (const s of probe) await s.close();
  const firehose = firehoseEndpoint({
    options,
    env: context.env,
    enrichers: await buildEnrichers(options, { warn: (message) => context.log(`warning: ${message}`) }),
    format: typeof options.format === 'string' ? parseFormat(options.format) : undefined,
    accessKey: options['firehose-access-key'] as string | undefined,
    maxBody: (options['max-body'] as number | undefined) ?? 64 * 1024 * 1024,
    rememberRequests: (options['remember-requests'] as number | undefined) ?? 10_000,
    log: context.log,
  });
  const port = (options.port as number | undefined) ?? 8080;
  const host = (options.host as string | undefined) ?? '0.0.0.0';
  const dashboard = await mountDashboard(options, host, context.log);
  let closing = false;
  let inFlight = 0;
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      return respond(res, closing ? 503 : 200, { status: closing ? 'shutting down' : 'ok' });
    }
    if (path === '/firehose') {
      if (closing) {
        res.setHeader('Connection', 'close');
        return respond(res, 503, { requestId: '', timestamp: Date.now(), errorMessage: 'shutting down' });
      }
      return firehose(req, res);
    }
    if (dashboard && (req.method === 'GET' || req.method === 'HEAD')) return dashboard(req, res);
    respond(res, 404, { error: `no route ${req.method} ${path}` });
  };
  const server = createServer((req, res) => {
    inFlight++;
    res.on('close', () => inFlight--);
    route(req, res).catch((err: unknown) => {
      context.log(`${req.method} ${req.url}: ${(err as Error).message}`);
      if (!res.headersSent)
        respond(res, 500, { requestId: '', timestamp: Date.now(), errorMessage: 'internal error' });
      else res.destroy();
    });
  });
  // Firehose allows 3 minutes for a response; keep sockets alive for its connection reuse.
  server.requestTimeout = 180_000;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server,
    url: `http://${shownHost}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        server.closeIdleConnections();
        const timer = setInterval(() => {
          if (inFlight === 0) {
            server.closeIdleConnections();
            clearInterval(timer);
          }
        }, 50);
        timer.unref();
      }),
  };
}
