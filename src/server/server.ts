import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ConfigError, optionsOf, type ResolvedOptions } from '../config/options.js';
import type { RunReport } from '../pipeline/report.js';
import { SharedPipeline } from '../pipeline/shared.js';
import { SOURCE_OPTIONS } from '../sources/options.js';
import { ByteBudget } from './budget.js';
import { mountDashboard } from './dashboard.js';
import { firehoseEndpoint, respond } from './firehose.js';
import type { Logger } from './log.js';
import { ServiceMetrics } from './metrics.js';
import { SERVE_OPTIONS } from './options.js';
import type { SqsFront } from './sqs.js';

export interface FlowlensServer {
  readonly server: Server;
  /** The URL it listens on (http://host:port or https://…). */
  readonly url: string;
  readonly pipeline: SharedPipeline;
  readonly metrics: ServiceMetrics;
  /** The SQS reader, with --sqs-queue-url. */
  readonly sqs: SqsFront | undefined;
  /**
   * Stops accepting, lets requests in flight finish (up to `graceMs`, default --shutdown-grace),
   * then closes the sinks and the store. The pipeline's totals over the server's life.
   */
  close(graceMs?: number): Promise<RunReport>;
}

export interface ServeContext {
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
}

/**
 * The HTTP front: `POST /firehose` (Firehose HTTP endpoint delivery), `GET /healthz`,
 * `GET /readyz` and `GET /metrics`. One pipeline for the server's life: sinks and the store are
 * built at start (a bad setting fails here, not on the first request) and shared by every request.
 */
export async function startServer(options: ResolvedOptions, context: ServeContext): Promise<FlowlensServer> {
  const o = optionsOf([...SERVE_OPTIONS, ...SOURCE_OPTIONS], options);
  const tls = tlsFiles(options);
  const metrics = new ServiceMetrics();
  const log = context.log;
  const pipeline = await SharedPipeline.open(
    options,
    { env: context.env, log: (m) => log.info(m) },
    { unit: (receipt, seconds) => metrics.observe(receipt.unit.split(':')[0] ?? 'unit', receipt, seconds) },
  );
  for (const w of pipeline.stats.warnings) log.warn(w);
  const budget = new ByteBudget(o['max-inflight-bytes']);
  metrics.watch(pipeline, budget);
  const accessKey = o['firehose-access-key'];
  const firehose = firehoseEndpoint({
    pipeline,
    accessKey,
    maxBody: o['max-body'] ?? 64 * 1024 * 1024,
    bodyBudget: budget,
    maxRequests: o['max-requests'] ?? 32,
    rememberRequests: o['remember-requests'] ?? 10_000,
    log,
    metrics,
  });
  const port = o.port ?? 8080;
  const host = o.host ?? '0.0.0.0';
  const storeHandle = await pipeline.storeReader();
  const dashboard = await mountDashboard(
    options,
    host,
    (m) => log.notice(m),
    storeHandle,
    () => metrics.health(pipeline.stats),
  );
  let closing = false;
  let inFlight = 0;
  const idle: Array<() => void> = [];
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      return respond(res, closing ? 503 : 200, { status: closing ? 'shutting down' : 'ok' });
    }
    if (path === '/readyz') {
      const sinks = pipeline.sinkStates();
      const ready = !closing && sinks.every((s) => s.healthy);
      return respond(res, ready ? 200 : 503, {
        status: closing ? 'shutting down' : ready ? 'ready' : 'a sink cannot deliver',
        sinks: Object.fromEntries(sinks.map((s) => [s.name, s.healthy ? 'up' : 'down'])),
      });
    }
    if (path === '/metrics') {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
      res.end(text);
      return;
    }
    if (path === '/firehose') {
      if (closing) {
        res.setHeader('Connection', 'close');
        res.setHeader('Retry-After', '5');
        return respond(res, 503, { requestId: '', timestamp: Date.now(), errorMessage: 'shutting down' });
      }
      return firehose(req, res);
    }
    if (dashboard && (req.method === 'GET' || req.method === 'HEAD')) return dashboard(req, res);
    respond(res, 404, { error: `no route ${req.method} ${path}` });
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (inFlight === 0) for (const wake of idle.splice(0)) wake();
    });
    route(req, res).catch((err: unknown) => {
      log.error(`${req.method} ${req.url}: ${(err as Error).message}`);
      if (!res.headersSent)
        respond(res, 500, { requestId: '', timestamp: Date.now(), errorMessage: 'internal error' });
      else res.destroy();
    });
  };
  const server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  // Firehose allows 3 minutes for a response; keep sockets alive for its connection reuse.
  server.requestTimeout = 180_000;
  server.keepAliveTimeout = 65_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await pipeline.close();
    throw err;
  }
  const sqs = await startSqs(options, pipeline, log, metrics);
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `${tls ? 'https' : 'http'}://${shownHost}:${addr.port}`;
  if (!accessKey) {
    log.warn(
      `no --firehose-access-key: POST /firehose accepts records from anyone who can reach ${url}` +
        (host === '0.0.0.0' || host === '::' ? ' (listening on every interface)' : ''),
    );
  }
  const defaultGrace = o['shutdown-grace'] ?? 30_000;
  let closed: Promise<RunReport> | undefined;
  return {
    server,
    url,
    pipeline,
    metrics,
    sqs,
    close: (graceMs = defaultGrace) => {
      closed ??= (async () => {
        closing = true;
        const sqsStopped = sqs?.stop();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const answered =
          inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve));
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), graceMs);
        });
        if ((await Promise.race([answered, late])) === 'late') {
          // Past the grace period: requests still running are cut off unanswered, so Firehose
          // retries them; nothing unanswered was acknowledged.
          log.warn(
            `shutdown: ${inFlight} requests still running after ${graceMs} ms; closing their connections`,
          );
          server.closeAllConnections();
        }
        clearTimeout(timer);
        await stopped;
        await sqsStopped;
        const report = await pipeline.close();
        await storeHandle?.release();
        return report;
      })();
      return closed;
    },
  };
}

/** The SQS reader when --sqs-queue-url is set (its SDK loads only then). */
async function startSqs(
  options: ResolvedOptions,
  pipeline: SharedPipeline,
  log: Logger,
  metrics: ServiceMetrics,
): Promise<SqsFront | undefined> {
  const o = optionsOf([...SERVE_OPTIONS, ...SOURCE_OPTIONS], options);
  const queueUrl = o['sqs-queue-url'];
  if (!queueUrl) return undefined;
  const [{ SqsFront }, { createS3Client }] = await Promise.all([
    import('./sqs.js'),
    import('../sources/s3-client.js'),
  ]);
  const region = o.region;
  const front = new SqsFront({
    queueUrl,
    maxMessages: o['sqs-max-messages'] ?? 4,
    waitSeconds: o['sqs-wait-seconds'] ?? 20,
    visibilitySeconds: o['sqs-visibility-timeout'] ?? 120,
    retrySeconds: o['sqs-retry-delay'] ?? 30,
    region,
    s3: createS3Client({ endpoint: o['endpoint-url'], region }),
    s3Retries: o['s3-retries'] ?? 5,
    pipeline,
    log,
    metrics,
  });
  front.start();
  log.notice(`flowlens serve: reading S3 notifications from ${queueUrl}`);
  return front;
}

/** The certificate and key named by --tls-cert/--tls-key (both or neither). */
function tlsFiles(options: ResolvedOptions): { cert: Buffer; key: Buffer } | undefined {
  const o = optionsOf(SERVE_OPTIONS, options);
  const cert = o['tls-cert'];
  const key = o['tls-key'];
  if (!cert && !key) return undefined;
  if (!cert || !key) throw new ConfigError('--tls-cert and --tls-key go together');
  const read = (path: string, flag: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(`${flag} ${path}: ${(err as Error).message}`);
    }
  };
  return { cert: read(cert, '--tls-cert'), key: read(key, '--tls-key') };
}
