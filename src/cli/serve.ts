import { type OptionSpec, optionHelp, parseCommandLine, type ResolvedOptions } from '../config/options.js';
import { INGEST_OPTIONS } from '../pipeline/build.js';
import { resolveWithConfig } from '../pipeline/options.js';
import { createLogger } from '../server/log.js';
import { SERVE_OPTIONS } from '../server/options.js';
import { startServer } from '../server/server.js';
import { SOURCE_OPTIONS } from '../sources/options.js';

const HELP = (specs: readonly OptionSpec[]) => `Usage: flowlens serve [--port N] [--to <sink>]... [options]

Runs the service: one pipeline (sinks, store) for the life of the process.
  POST /firehose   Amazon Data Firehose HTTP endpoint delivery (protocol 1.0); records go to
                   the sinks named by --to, as for 'flowlens ingest'; 200 once every sink has them
  GET  /healthz    200 while serving, 503 while shutting down
  GET  /           the dashboard over the store, with --to store (see 'flowlens dashboard';
                   off 127.0.0.1 it needs --dashboard-token)
  GET  /readyz     200 while every sink delivers, 503 after a sink failure or while shutting down
  GET  /metrics    Prometheus text format (docs/serve.md lists the metrics)
SIGTERM or SIGINT stops accepting requests, waits up to --shutdown-grace for those in flight,
then flushes every sink and closes the store.
Firehose only calls HTTPS: give --tls-cert and --tls-key, or put a TLS-terminating load
balancer in front. Without --firehose-access-key anyone who reaches the port may send records.
The detection engine (--to alerts, docs/alerts.md) runs on the records unless --no-alerts is
given; with no alert destination configured, alerts go to stdout as NDJSON.

Options:
${optionHelp(specs)}
`;

/** S3 options that also apply to the objects SQS notifications name. */
const SQS_OBJECT_OPTIONS = new Set(['endpoint-url', 'region', 's3-retries']);

/** The detection engine runs in serve unless turned off. */
const NO_ALERTS: OptionSpec = {
  name: 'no-alerts',
  type: 'boolean',
  default: false,
  description: 'Do not run the detection engine (the alerts sink is on by default in serve)',
};

/** Serve's options: its own, then ingest's without the S3 listing ones (requests are its input). */
export function serveOptionSpecs(): OptionSpec[] {
  const s3Only = new Set<string>(SOURCE_OPTIONS.map((s) => s.name).filter((n) => !SQS_OBJECT_OPTIONS.has(n)));
  const ingest = INGEST_OPTIONS().filter((s) => !s3Only.has(s.name));
  const names = new Set(ingest.map((s) => s.name));
  return [...SERVE_OPTIONS.filter((s) => !names.has(s.name)), NO_ALERTS, ...ingest];
}

/** `--to` with the alerts sink added, unless `--no-alerts` or it is already there. */
export function withAlerts(options: ResolvedOptions): ResolvedOptions {
  const to = Array.isArray(options.to) ? options.to : ['store'];
  if (options['no-alerts'] === true || to.includes('alerts')) return options;
  return { ...options, to: [...to, 'alerts'] };
}

export async function run(argv: string[]): Promise<number> {
  const specs = serveOptionSpecs();
  const cli = parseCommandLine(argv, specs);
  if (cli.flags.help) {
    process.stdout.write(HELP(specs));
    return 0;
  }
  const options = withAlerts(resolveWithConfig(specs, cli, process.env));
  const log = createLogger({
    format: options['log-format'] === 'json' ? 'json' : 'text',
    quiet: options.quiet === true,
  });
  const server = await startServer(options, { env: process.env, log });
  // Shown even with --quiet: the address is what a user starts the service for.
  log.notice(`flowlens serve: listening on ${server.url} (POST /firehose, GET /healthz /readyz /metrics)`);
  const signal = await new Promise<string>((resolve) => {
    const stop = (name: string): void => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(name);
    };
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  log.notice(`flowlens serve: ${signal}, finishing requests in flight`);
  const report = await server.close();
  const sinks = report.sinks.map((s) => `${s.name} delivered ${s.delivered} failed ${s.failed}`).join(', ');
  (report.ok ? log.notice : log.error)(
    `flowlens serve: stopped; ${report.stats.records} records, ${report.stats.malformed} malformed; ${sinks}`,
  );
  return 0;
}
