import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { ConfigError, resolveOptions } from '../../src/config/options.js';
import { createDashboardApp, type FetchHandler } from '../../src/dashboard/app.js';
import { parseFilters } from '../../src/dashboard/filters.js';
import { type OpenedStore, openDashboardStore } from '../../src/dashboard/open.js';
import { DASHBOARD_TOKEN_OPTION, parseDashboardAccess } from '../../src/dashboard/options.js';
import { aws } from '../../src/dashboard/panels/aws.js';
import { cost } from '../../src/dashboard/panels/cost.js';
import { flowRows, shownColumns } from '../../src/dashboard/panels/flows.js';
import { geo } from '../../src/dashboard/panels/geo.js';
import { health } from '../../src/dashboard/panels/health.js';
import { overview } from '../../src/dashboard/panels/overview.js';
import { protocols } from '../../src/dashboard/panels/protocols.js';
import { rejected } from '../../src/dashboard/panels/rejected.js';
import { talkers } from '../../src/dashboard/panels/talkers.js';
import { Scope } from '../../src/dashboard/scope.js';
import { loadStoreInfo } from '../../src/dashboard/store-info.js';
import { writeSample } from '../../src/generate/index.js';
import type { GroundTruth } from '../../src/generate/types.js';
import { ROLLUPS } from '../../src/store/rollups.js';
import { type FileTruth, fileTruth, ingest, serveDashboard } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'flowlens-dashboard-api-'));
const db = join(dir, 'flows.duckdb');
const v2db = join(dir, 'v2.duckdb');
let truth: GroundTruth;
let file: FileTruth;
let store: OpenedStore;
let app: FetchHandler;

const get = async (path: string, headers: Record<string, string> = {}) => {
  const res = await app(new Request(`http://127.0.0.1${path}`, { headers }));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

before(async () => {
  const sample = join(dir, 'v5.log.gz');
  // 12,000 records: six 10-minute windows, over two hours (rollup buckets and the flows fallback).
  truth = await writeSample(sample, { records: 12_000, version: '5', seed: 21 });
  file = await fileTruth(sample);
  await ingest(db, [sample]);
  const v2 = join(dir, 'v2.log.gz');
  await writeSample(v2, { records: 1000, version: '2', seed: 22 });
  await ingest(v2db, [v2]);
  await writeAlerts(db);
  store = await openDashboardStore({ db });
  app = await createDashboardApp({ reader: store.reader, label: 'test' });
});

/** One alert as the alert engine writes it (its table's columns), two hours into the sample. */
async function writeAlerts(path: string): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const con = await instance.connect();
  await con.run(`CREATE TABLE alerts (id VARCHAR, rule VARCHAR, title VARCHAR, severity VARCHAR, mitre VARCHAR,
    "key" VARCHAR, first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ, count BIGINT, bytes BIGINT, packets BIGINT,
    sample_uids VARCHAR[], details JSON)`);
  await con.run(`INSERT INTO alerts VALUES ('a1', 'port-scan', 'Port scan from 198.51.100.7', 'high', 'T1046',
    '198.51.100.7', to_timestamp(${truth.firstStart + 600}), to_timestamp(${truth.firstStart + 900}), 120, 7200, 120,
    ['u1', 'u2'], '{"ports": 120}')`);
  con.closeSync();
  instance.closeSync();
}

after(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard API', () => {
  it('GET /api/summary returns the generator totals', async () => {
    const { status, body } = await get('/api/summary');
    assert.equal(status, 200);
    assert.equal(body.records, truth.ok + truth.nodata + truth.skipdata);
    assert.equal(body.bytes, truth.bytes);
    assert.equal(body.packets, truth.packets);
    assert.equal(body.accepted, truth.accept.records);
    assert.equal(body.rejected, truth.reject.records);
    assert.equal(body.rejected_bytes, file.rejectedBytes);
  });

  it('filters /api/summary by raw column names, epoch seconds and RFC 3339 alike', async () => {
    const rej = await get('/api/summary?action=REJECT');
    assert.equal(rej.body.records, truth.reject.records);
    assert.equal(rej.body.bytes, truth.reject.bytes);
    const from = truth.firstStart + 1800;
    const iso = new Date(from * 1000).toISOString();
    const a = await get(`/api/summary?from=${from}`);
    const b = await get(`/api/summary?from=${encodeURIComponent(iso)}`);
    assert.deepEqual(a.body, b.body);
    assert.ok(Number(a.body.records) > 0 && Number(a.body.records) < truth.ok);
    const [top] = [...file.bytesBySource].sort((x, y) => y[1] - x[1]);
    const one = await get(`/api/summary?srcaddr=${encodeURIComponent(top![0])}`);
    assert.equal(one.body.bytes, top![1]);
    assert.equal(one.body.records, file.recordsBySource.get(top![0]));
  });

  it('treats a filter value with SQL in it as data', async () => {
    for (const evil of ["ACCEPT' OR '1'='1", "x'); DROP TABLE flow_records; --", '1 OR 1=1']) {
      const { status, body } = await get(`/api/summary?action=${encodeURIComponent(evil)}`);
      assert.equal(status, 200);
      assert.equal(body.records, 0, evil);
    }
    const port = await get(`/api/summary?dstport=${encodeURIComponent('443 OR 1=1')}`);
    assert.equal(port.status, 400);
    assert.match(String(port.body.error), /dstport=443 OR 1=1: not an integer/);
    const after = await get('/api/summary');
    assert.equal(after.body.records, truth.ok + truth.nodata + truth.skipdata);
  });

  it('answers bad input with 400 naming it, and refuses writes', async () => {
    const unknown = await get('/api/summary?colour=red');
    assert.equal(unknown.status, 400);
    assert.match(String(unknown.body.error), /unknown filter "colour"/);
    const time = await get('/api/summary?from=yesterday-ish');
    assert.equal(time.status, 400);
    const sort = await get('/api/flows?sort=bytes;drop');
    assert.equal(sort.status, 400);
    const post = await app(new Request('http://127.0.0.1/api/summary', { method: 'POST', body: '{}' }));
    assert.equal(post.status, 405);
  });

  it('gives the same panels from the rollups as from flows', async () => {
    const info = await loadStoreInfo(store.reader);
    assert.equal(info.rollups.length, ROLLUPS.length, 'every rollup is complete');
    const plain = { ...info, rollups: [], rollupSets: [] };
    const hour = 3600;
    const from = Math.ceil(truth.firstStart / hour) * hour;
    for (const query of [
      '',
      'action=REJECT',
      `from=${from}`,
      `to=${from + hour}`,
      'protocol=6&flow_direction=egress',
      'ip=10.0.0.0/8',
    ]) {
      const filters = parseFilters(new URLSearchParams(query));
      for (const panel of [
        overview,
        rejected,
        protocols,
        geo,
        aws,
        cost,
        (s: Scope) => talkers(s, 'bytes'),
        (s: Scope) => health(s, undefined),
      ]) {
        const fast = await panel(new Scope(store.reader, info, filters));
        const slow = await panel(new Scope(store.reader, plain, filters));
        assert.deepEqual(fast, slow, `${panel.name} ${query}`);
      }
    }
  });

  it('reads the newest records of the flow table from a recent window, as a full sort would', async () => {
    const scope = new Scope(
      store.reader,
      await loadStoreInfo(store.reader),
      parseFilters(new URLSearchParams()),
    );
    const list = shownColumns(scope)
      .map((c) => `"${c}"`)
      .join(', ');
    for (const page of [
      { sort: 'end_time', dir: 'desc' as const, limit: 50, offset: 0 },
      { sort: 'end_time', dir: 'asc' as const, limit: 50, offset: 0 },
      { sort: 'start_time', dir: 'desc' as const, limit: 20, offset: 9000 },
    ]) {
      const key = page.sort === 'end_time' ? '"end"' : '"start"';
      const full = await store.reader.query(
        `SELECT ${list} FROM flows ORDER BY ${key} ${page.dir} NULLS LAST, record_uid LIMIT ${page.limit} OFFSET ${page.offset}`,
        [],
      );
      const windowed = await flowRows(scope, page);
      assert.equal(windowed.rows.length, page.limit);
      assert.deepEqual(windowed.rows, full, `${page.sort} ${page.dir} offset ${page.offset}`);
    }
  });

  it('says which fields a v2 store lacks', async () => {
    const v2 = await openDashboardStore({ db: v2db });
    try {
      const v2app = await createDashboardApp({ reader: v2.reader });
      const res = await v2app(new Request('http://127.0.0.1/api/panel/aws'));
      const body = (await res.json()) as Record<string, { missing?: string[] }>;
      assert.deepEqual(body.directions?.missing, ['flow_direction']);
      assert.deepEqual(body.paths?.missing, ['traffic_path']);
      const sum = await v2app(new Request('http://127.0.0.1/api/summary'));
      assert.equal(((await sum.json()) as { records: number }).records > 0, true);
    } finally {
      v2.close();
    }
  });

  it('lists alerts overlapping the time range', async () => {
    const all = await get('/api/panel/alerts');
    assert.equal(all.body.available, true);
    const rows = all.body.rows as Array<Record<string, unknown>>;
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.title, 'Port scan from 198.51.100.7');
    assert.equal(rows[0]!.first_seen, truth.firstStart + 600);
    assert.deepEqual(rows[0]!.sample_uids, ['u1', 'u2']);
    const later = await get(`/api/panel/alerts?from=${truth.firstStart + 3600}`);
    assert.deepEqual(later.body.rows, []);
  });

  it('serves the flow table as JSON and CSV, and an address profile', async () => {
    const page = await get('/api/flows?action=REJECT&limit=5&sort=bytes&dir=desc');
    const rows = page.body.rows as Array<Record<string, unknown>>;
    assert.equal(rows.length, 5);
    assert.ok(rows.every((r) => r.action === 'REJECT'));
    assert.equal(page.body.total, truth.reject.records);
    const csv = await app(new Request('http://127.0.0.1/api/flows?format=csv&limit=3'));
    assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
    const lines = (await csv.text()).trim().split('\r\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^start_time,end_time,action,log_status,srcaddr,/);
    const [top] = [...file.bytesBySource].sort((x, y) => y[1] - x[1]);
    const prof = await get(`/api/profile?addr=${encodeURIComponent(top![0])}`);
    const totals = prof.body.totals as Record<string, number>;
    assert.equal(totals.as_source, file.recordsBySource.get(top![0]));
  });
});

describe('rollups over weeks', () => {
  const day = 86400;
  const longDb = join(dir, 'weeks.duckdb');
  let long: OpenedStore;
  let t0: number;
  before(async () => {
    // Three samples 0, 9 and 17 days apart: time ranges covered by weeks, days and hours.
    t0 = 1_780_272_000;
    const files = [0, 9, 17].map((d) => join(dir, `weeks-${d}.log.gz`));
    for (const [i, d] of [0, 9, 17].entries()) {
      await writeSample(files[i]!, {
        records: 3000,
        version: '5',
        seed: 30 + d,
        startTime: t0 + d * day + 5 * 3600,
      });
    }
    await ingest(longDb, files);
    long = await openDashboardStore({ db: longDb });
  });
  after(() => long?.close());

  it('gives the same panels as flows for ranges across weeks, days and hours', async () => {
    const info = await loadStoreInfo(long.reader);
    assert.equal(info.rollups.length, ROLLUPS.length, 'every rollup is complete');
    const plain = { ...info, rollups: [], rollupSets: [] };
    const h = 3600;
    for (const query of [
      `from=${t0 + 5 * h}`,
      `to=${t0 + 17 * day + 6 * h}`,
      `from=${t0 + 6 * h}&to=${t0 + 17 * day + 6 * h}`,
      `from=${t0 + 9 * day}&to=${t0 + 18 * day}&action=ACCEPT`,
      `from=${t0 - 7 * day}&to=${t0 + 30 * day}`,
    ]) {
      const filters = parseFilters(new URLSearchParams(query));
      for (const panel of [
        overview,
        cost,
        (s: Scope) => talkers(s, 'packets'),
        (s: Scope) => health(s, undefined),
      ]) {
        const fast = await panel(new Scope(long.reader, info, filters));
        const slow = await panel(new Scope(long.reader, plain, filters));
        assert.deepEqual(fast, slow, `${panel.name} ${query}`);
      }
    }
  });
});

describe('dashboard token', () => {
  it('is required off loopback, at least 16 characters', () => {
    const opts = (flags: Record<string, string>) =>
      resolveOptions([DASHBOARD_TOKEN_OPTION], { flags, env: {} });
    assert.throws(() => parseDashboardAccess(opts({}), '0.0.0.0'), ConfigError);
    assert.throws(
      () => parseDashboardAccess(opts({ 'dashboard-token': 'short' }), '0.0.0.0'),
      /16 characters/,
    );
    assert.deepEqual(parseDashboardAccess(opts({}), '127.0.0.1'), { host: '127.0.0.1' });
    const env = resolveOptions([DASHBOARD_TOKEN_OPTION], {
      flags: {},
      env: { FLOWLENS_DASHBOARD_TOKEN: 'a-token-of-32-characters-or-so..' },
    });
    assert.equal(parseDashboardAccess(env, '0.0.0.0').token, 'a-token-of-32-characters-or-so..');
  });

  it('guards every API route when set, on a real socket', async () => {
    const token = 'correct-horse-battery-staple';
    const running = await serveDashboard({ reader: store.reader, token }, '0.0.0.0');
    try {
      for (const path of ['/api/summary', '/api/meta', '/api/panel/overview', '/api/flows?format=csv']) {
        assert.equal((await fetch(`${running.url}${path}`)).status, 401, path);
        const wrong = await fetch(`${running.url}${path}`, { headers: { authorization: 'Bearer nope' } });
        assert.equal(wrong.status, 401);
      }
      const ok = await fetch(`${running.url}/api/summary`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200);
      const link = await fetch(`${running.url}/api/flows?format=csv&limit=1&token=${token}`);
      assert.equal(link.status, 200);
    } finally {
      await running.close();
    }
  });
});
