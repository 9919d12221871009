import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResolvedOptions } from '../config/options.js';
import { createDashboardApp } from '../dashboard/app.js';
import { isLoopback } from '../dashboard/auth.js';
import { toNodeHandler } from '../dashboard/node-handler.js';
import type { HealthSnapshot, StoreReader } from '../dashboard/reader.js';
import type { StoreHandle } from '../store/shared.js';
import type { QueryParam } from '../store/wire.js';

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The dashboard at `/` of `serve`, over the store the service writes (`--to store`), read
 * through the service's own DuckDB instance, with the service's live counters in its health
 * panel. Off loopback it needs --dashboard-token; without one it stays off and the log says why.
 */
export async function mountDashboard(
  options: ResolvedOptions,
  host: string,
  log: (message: string) => void,
  store: StoreHandle | undefined,
  health: () => HealthSnapshot,
): Promise<NodeHandler | undefined> {
  if (!store) return undefined;
  const token = typeof options['dashboard-token'] === 'string' ? options['dashboard-token'] : undefined;
  if (token === undefined && !isLoopback(host)) {
    log(
      `dashboard off: serve listens on ${host}; set --dashboard-token (FLOWLENS_DASHBOARD_TOKEN) or --host 127.0.0.1`,
    );
    return undefined;
  }
  const reader: StoreReader = {
    // the dashboard binds strings, numbers, booleans and nulls only (its filters)
    query: async (sql, params) => [...(await store.query(sql, params as readonly QueryParam[]))],
    catchUp: async () => {
      await store.syncRollups();
    },
  };
  const app = await createDashboardApp({
    reader,
    health,
    label: store.path,
    ...(token !== undefined ? { token } : {}),
    log,
  });
  log(`dashboard at / over ${store.path}${token !== undefined ? ' (token required)' : ''}`);
  return toNodeHandler(app, 'http://flowlens.local');
}
