import { tokenMatches } from './auth.js';
import { FILTER_COLUMNS, parseFilters } from './filters.js';
import { HttpError } from './http-error.js';
import { alerts } from './panels/alerts.js';
import { aws } from './panels/aws.js';
import { COST_CATEGORIES, CROSS_AZ, cost, PRICES_DATE } from './panels/cost.js';
import { flowCount, flowRows, MAX_EXPORT, MAX_PAGE, parseFlowPage, toCsv } from './panels/flows.js';
import { geo } from './panels/geo.js';
import { health } from './panels/health.js';
import { overview, summary } from './panels/overview.js';
import { parseAddress, profile } from './panels/profile.js';
import { protocols } from './panels/protocols.js';
import { rejected } from './panels/rejected.js';
import { parseMeasure, talkers } from './panels/talkers.js';
import type { HealthSnapshot, Row, StoreReader } from './reader.js';
import { Scope } from './scope.js';
import { defaultAssetsDir, loadAssets } from './static.js';
import { loadStoreInfo, type StoreInfo } from './store-info.js';

export interface DashboardOptions {
  readonly reader: StoreReader;
  /** Live pipeline counters (flowlens serve); absent, the health panel shows what the store knows. */
  readonly health?: () => HealthSnapshot;
  /** When set, every /api request must carry it (see auth.ts). */
  readonly token?: string;
  /** Where index.html, app.js and app.css are (default: the package's dist/dashboard). */
  readonly assetsDir?: string;
  /** What the page shows as the store's name. */
  readonly label?: string;
  log?(message: string): void;
}

export type FetchHandler = (request: Request) => Promise<Response>;

/** How long the store's facts (columns, rollups, extent) are reused before a recount. */
const INFO_TTL_MS = 5000;

type PanelRun = (scope: Scope, params: URLSearchParams) => Promise<Row>;

/**
 * The dashboard as a fetch-style handler: the page at `/`, its JSON API under `/api/`. It
 * knows no HTTP server: `node-handler.ts` adapts it to node's, a service can mount it.
 */
export async function createDashboardApp(options: DashboardOptions): Promise<FetchHandler> {
  const assets = await loadAssets(options.assetsDir ?? defaultAssetsDir());
  let info: { value: StoreInfo; at: number } | undefined;
  let loading: Promise<StoreInfo> | undefined;
  const storeInfo = async (): Promise<StoreInfo> => {
    if (info && Date.now() - info.at < INFO_TTL_MS) return info.value;
    loading ??= loadStoreInfo(options.reader, info?.value).finally(() => {
      loading = undefined;
    });
    const value = await loading;
    info = { value, at: Date.now() };
    return value;
  };
  const live = (): HealthSnapshot | undefined => options.health?.();
  const panels: Record<string, PanelRun> = {
    overview: (s) => overview(s),
    talkers: (s, p) => talkers(s, parseMeasure(p.get('by'))),
    rejected: (s) => rejected(s),
    protocols: (s) => protocols(s),
    geo: (s) => geo(s),
    aws: (s) => aws(s),
    cost: (s) => cost(s),
    health: (s) => health(s, live()),
    alerts: (s) => alerts(s),
  };

  const api = async (path: string, url: URL): Promise<Response> => {
    const params = url.searchParams;
    const filters = parseFilters(params);
    // Rollups include everything committed before this request (the writer defers them).
    await options.reader.catchUp?.();
    const scope = new Scope(options.reader, await storeInfo(), filters);
    if (path === '/api/summary') return json(await summary(scope));
    if (path === '/api/meta') return json(await meta(scope, options, live() !== undefined));
    if (path.startsWith('/api/panel/')) {
      const run = panels[path.slice('/api/panel/'.length)];
      if (!run) throw new HttpError(404, `no panel ${path.slice('/api/panel/'.length)}`);
      return json(await run(scope, params));
    }
    if (path === '/api/flows') {
      const csv = params.get('format') === 'csv';
      const page = parseFlowPage(params, csv ? MAX_EXPORT : MAX_PAGE);
      const [table, total] = await Promise.all([flowRows(scope, page), csv ? 0 : flowCount(scope)]);
      if (csv) {
        return new Response(toCsv(table.columns, table.rows), {
          headers: {
            'content-type': 'text/csv; charset=utf-8',
            'content-disposition': 'attachment; filename="flows.csv"',
          },
        });
      }
      return json({ ...table, total, ...page });
    }
    if (path === '/api/profile') return json(await profile(scope, parseAddress(params.get('addr'))));
    throw new HttpError(404, `no API ${path}`);
  };

  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const path = url.pathname;
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD')
        throw new HttpError(405, `${request.method}: the dashboard is read-only (GET only)`);
      if (path.startsWith('/api/')) {
        if (options.token !== undefined && !tokenMatches(options.token, request, url)) {
          return json({ error: 'a dashboard token is required (Authorization: Bearer <token>)' }, 401, {
            'www-authenticate': 'Bearer realm="flowlens dashboard"',
          });
        }
        return await api(path, url);
      }
      const asset = assets.get(path === '/' ? '/index.html' : path) ?? assets.get('/index.html')!;
      return new Response(new Uint8Array(asset.body), {
        headers: { 'content-type': asset.type, ...PAGE_HEADERS },
      });
    } catch (err) {
      if (err instanceof HttpError) return json({ error: err.message }, err.status);
      const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      options.log?.(`dashboard ${path}: ${message}`);
      return json({ error: `query failed: ${message}` }, 500);
    }
  };
}

/** Everything the page loads comes from this server (no CDN, fonts or map tiles). */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

/** Dropdown values for the filter bar (from the smallest all-time rollup that has them). */
const OPTION_FILTERS = [
  'account_id',
  'region',
  'vpc_id',
  'subnet_id',
  'interface_id',
  'instance_id',
  'action',
  'protocol',
  'flow_direction',
  'traffic_path',
];

async function meta(scope: Scope, options: DashboardOptions, live: boolean): Promise<Row> {
  // Filter values come from the whole store: the dropdowns do not shrink as filters apply.
  const all = new Scope(scope.reader, scope.info, { equal: new Map() });
  const columns = OPTION_FILTERS.filter((col) => all.missing([col]).length === 0);
  const lists = await Promise.all(
    columns.map(async (col) => {
      const src = all.source([col]);
      const rows = await all.query(
        `SELECT DISTINCT "${col}" AS v FROM ${src.table} WHERE "${col}" IS NOT NULL ORDER BY 1 LIMIT 500`,
        [],
      );
      return rows.map((r) => r.v);
    }),
  );
  const values = Object.fromEntries(columns.map((col, i) => [col, lists[i]!]));
  const info = scope.info;
  return {
    label: options.label ?? 'store',
    records: info.records,
    extent: info.extent,
    present: [...info.present],
    rollups: info.rollups.map((r) => r.table),
    alerts: info.alerts,
    live,
    filters: [...FILTER_COLUMNS.keys()],
    values,
    prices: {
      date: PRICES_DATE,
      categories: [...COST_CATEGORIES, CROSS_AZ].map((c) => ({
        id: c.id,
        label: c.label,
        price: c.price,
        note: c.priceNote,
      })),
    },
  };
}
