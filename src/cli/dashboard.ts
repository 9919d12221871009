import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, type OptionSpec, optionHelp, optionsOf, parseCommandLine } from '../config/options.js';
import { createDashboardApp } from '../dashboard/app.js';
import { toNodeHandler } from '../dashboard/node-handler.js';
import { openDashboardStore } from '../dashboard/open.js';
import { DASHBOARD_TOKEN_OPTION, parseDashboardAccess } from '../dashboard/options.js';
import { resolveWithConfig } from '../pipeline/options.js';
import { DB_OPTION } from '../sinks/store/options.js';

export const DASHBOARD_OPTIONS = [
  DB_OPTION,
  {
    name: 'lake',
    type: 'path',
    description: 'Read a Parquet lake directory instead of the store',
    placeholder: 'dir',
  },
  {
    name: 'host',
    type: 'string',
    default: '127.0.0.1',
    env: ['FLOWLENS_DASHBOARD_HOST'],
    description: 'Address to listen on (any other than loopback needs --dashboard-token)',
    placeholder: 'address',
  },
  {
    name: 'port',
    type: 'int',
    min: 0,
    max: 65535,
    default: 8090,
    env: ['FLOWLENS_DASHBOARD_PORT'],
    description: 'TCP port (0 picks a free one)',
    placeholder: 'port',
  },
  DASHBOARD_TOKEN_OPTION,
  {
    name: 'config',
    type: 'path',
    description: 'JSON config file whose keys are option names',
    placeholder: 'file',
  },
  { name: 'help', type: 'boolean', short: 'h', description: 'Show this help' },
] as const satisfies readonly OptionSpec[];

const HELP = `Usage: flowlens dashboard [--db PATH | --lake DIR] [--host ADDR] [--port N]

Serves the web dashboard over a store (opened read-only) or a Parquet lake, and prints its
URL. Everything the page needs ships with flowlens: nothing is fetched from the internet.
It listens on 127.0.0.1 unless --host says otherwise; then --dashboard-token is required and
the page is opened as http://HOST:PORT/?token=TOKEN. 'flowlens serve' shows the same page at /
with live pipeline counters. See docs/dashboard.md.

Options:
${optionHelp(DASHBOARD_OPTIONS)}
`;

export async function run(argv: string[]): Promise<number> {
  const cli = parseCommandLine(argv, DASHBOARD_OPTIONS);
  if (cli.flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (cli.positionals.length > 0) throw new ConfigError(`unexpected argument "${cli.positionals[0]}"`);
  const options = resolveWithConfig(DASHBOARD_OPTIONS, cli, process.env);
  const o = optionsOf(DASHBOARD_OPTIONS, options);
  const access = parseDashboardAccess(options, o.host);
  const lake = o.lake;
  const store = await openDashboardStore(lake !== undefined ? { lake } : { db: o.db });
  const app = await createDashboardApp({
    reader: store.reader,
    label: store.label,
    ...(access.token !== undefined ? { token: access.token } : {}),
    log: (m) => process.stderr.write(`${m}\n`),
  });
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, access.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const base = `http://${host}:${addr.port}`;
  const handler = toNodeHandler(app, base);
  server.on('request', (req, res) => {
    handler(req, res).catch((err: unknown) => {
      process.stderr.write(`dashboard: ${(err as Error).message}\n`);
      res.destroy();
    });
  });
  process.stdout.write(`${base}/${access.token !== undefined ? '?token=<token>' : ''}\n`);
  process.stderr.write(
    `flowlens dashboard: ${store.label} (read-only) at ${base}/` +
      (access.token !== undefined ? ' — the API requires the dashboard token\n' : '\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  store.close();
  return 0;
}
