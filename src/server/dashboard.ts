import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResolvedOptions } from '../config/options.js';
import { createDashboardApp } from '../dashboard/app.js';
import { isLoopback } from '../dashboard/auth.js';
import { toNodeHandler } from '../dashboard/node-handler.js';
import { OnDemandStoreReader } from '../dashboard/on-demand-reader.js';
import { DEFAULT_DB } from '../store/store.js';

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The dashboard at `/` of `serve`, over the store the service writes (`--to store`). Off
 * loopback it needs --dashboard-token; without one it stays off and the log says why.
 */
export async function mountDashboard(
  options: ResolvedOptions,
  host: string,
  log: (message: string) => void,
): Promise<NodeHandler | undefined> {
  const to = Array.isArray(options.to) ? options.to : [];
  if (!to.includes('store')) return undefined;
  const token = typeof options['dashboard-token'] === 'string' ? options['dashboard-token'] : undefined;
  if (token === undefined && !isLoopback(host)) {
    log(
      `dashboard off: serve listens on ${host}; set --dashboard-token (FLOWLENS_DASHBOARD_TOKEN) or --host 127.0.0.1`,
    );
    return undefined;
  }
  const db = typeof options.db === 'string' ? options.db : DEFAULT_DB;
  const app = await createDashboardApp({
    reader: new OnDemandStoreReader(db),
    label: db,
    ...(token !== undefined ? { token } : {}),
    log,
  });
  log(`dashboard at / over ${db}${token !== undefined ? ' (token required)' : ''}`);
  return toNodeHandler(app, 'http://flowlens.local');
}
