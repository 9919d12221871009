import { type OptionSpec, optionHelp, parseCommandLine } from '../config/options.js';
import { INGEST_OPTIONS } from '../pipeline/build.js';
import { resolveWithConfig } from '../pipeline/options.js';
import { SERVE_OPTIONS } from '../server/options.js';
import { startServer } from '../server/server.js';
import { SOURCE_OPTIONS } from '../sources/options.js';

const HELP = (specs: readonly OptionSpec[]) => `Usage: flowlens serve [--port N] [--to <sink>]... [options]

Runs the HTTP server:
  POST /firehose   Amazon Data Firehose HTTP endpoint delivery (protocol 1.0); records go to
                   the sinks named by --to, as for 'flowlens ingest'
  GET  /healthz    200 while serving, 503 while shutting down
  GET  /           the dashboard over the store, with --to store (see 'flowlens dashboard';
                   off 127.0.0.1 it needs --dashboard-token)
SIGTERM or SIGINT stops accepting requests and exits once those in flight are answered.
Firehose only calls HTTPS on port 443: put a TLS-terminating proxy or load balancer in front.

Options:
${optionHelp(specs)}
`;

/** Serve's options: its own, then ingest's without the S3 listing ones (requests are its input). */
export function serveOptionSpecs(): OptionSpec[] {
  const s3Only = new Set(SOURCE_OPTIONS.map((s) => s.name));
  const ingest = INGEST_OPTIONS().filter((s) => !s3Only.has(s.name));
  const names = new Set(ingest.map((s) => s.name));
  return [...SERVE_OPTIONS.filter((s) => !names.has(s.name)), ...ingest];
}

export async function run(argv: string[]): Promise<number> {
  const specs = serveOptionSpecs();
  const cli = parseCommandLine(argv, specs);
  if (cli.flags.help) {
    process.stdout.write(HELP(specs));
    return 0;
  }
  const options = resolveWithConfig(specs, cli, process.env);
  const quiet = options.quiet === true;
  const log = (m: string): void => {
    if (!quiet) process.stderr.write(`${new Date().toISOString()} ${m}\n`);
  };
  const server = await startServer(options, { env: process.env, log });
  process.stderr.write(`flowlens serve: listening on ${server.url} (POST /firehose, GET /healthz)\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.stderr.write(`flowlens serve: ${signal}, finishing requests in flight\n`);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      server.close().then(resolve, resolve);
    };
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  return 0;
}
