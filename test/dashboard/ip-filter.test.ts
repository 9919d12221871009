import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { type OpenedStore, openDashboardStore } from '../../src/dashboard/open.js';
import { ingest, type Running, serveDashboard } from './helpers.js';

/**
 * The IP/CIDR filter over a store with IPv4 and IPv6 records, the IPv6 ones written in the
 * several text forms a log may carry (compressed, full, upper case).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DOCS = join(import.meta.dirname, '..', '..', 'docs');
const dir = mkdtempSync(join(tmpdir(), 'flowlens-dashboard-ip-'));
let store: OpenedStore;
let running: Running;

const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const T = 1_714_521_600;
/** [srcaddr, dstaddr, bytes]: bytes tell which records a filter kept. */
const RECORDS: ReadonlyArray<readonly [string, string, number]> = [
  ['10.0.0.5', '10.1.0.9', 1],
  ['192.168.1.4', '10.0.0.5', 2],
  ['2001:db8::5', '2600:1f18::1', 4],
  ['2600:1f18::1', '2001:0DB8:0000:0000:0000:0000:0000:0005', 8],
  ['2001:db8:ffff:1::1', 'fe80::1', 16],
  ['2001:db9::1', '::1', 32],
  ['fd00::7', '64:ff9b::a00:5', 64],
];

before(async () => {
  const file = join(dir, 'mixed.log');
  const lines = RECORDS.map(
    ([src, dst, bytes], i) =>
      `2 123456789012 eni-0a1 ${src} ${dst} ${40000 + i} 443 6 1 ${bytes} ${T} ${T + 60} ACCEPT OK`,
  );
  writeFileSync(file, `${[HEADER, ...lines].join('\n')}\n`);
  const db = join(dir, 'ip.duckdb');
  await ingest(db, [file]);
  store = await openDashboardStore({ db });
  running = await serveDashboard({ reader: store.reader });
});
after(async () => {
  await running.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${running.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The bytes of the records a filter keeps, from the summary (rollups) and the flow table (flows). */
async function kept(ip: string): Promise<{ summary: number; flows: number }> {
  const q = `ip=${encodeURIComponent(ip)}`;
  const summary = await get(`/api/summary?${q}`);
  assert.equal(summary.status, 200, JSON.stringify(summary.body));
  const flows = await get(`/api/flows?${q}&limit=100`);
  assert.equal(flows.status, 200, JSON.stringify(flows.body));
  const rows = flows.body.rows as Array<Record<string, unknown>>;
  const bytes = rows.reduce((n, r) => n + Number(r.bytes), 0);
  return { summary: Number(summary.body.bytes), flows: bytes };
}

describe('the IP or CIDR filter', () => {
  it('matches IPv6 CIDRs over every text form of an address', async () => {
    assert.deepEqual(await kept('2001:db8::/32'), { summary: 4 + 8 + 16, flows: 4 + 8 + 16 });
    assert.deepEqual(await kept('2001:DB8:FFFF::/48'), { summary: 16, flows: 16 });
    assert.deepEqual(await kept('2600:1f18::/32'), { summary: 4 + 8, flows: 4 + 8 });
    assert.deepEqual(await kept('fc00::/7'), { summary: 64, flows: 64 });
    assert.deepEqual(await kept('::/0'), { summary: 4 + 8 + 16 + 32 + 64, flows: 4 + 8 + 16 + 32 + 64 });
  });

  it('matches one IPv6 address whatever its written form', async () => {
    assert.deepEqual(await kept('2001:db8:0:0:0:0:0:5'), { summary: 4 + 8, flows: 4 + 8 });
    assert.deepEqual(await kept('2001:db8::5/128'), { summary: 4 + 8, flows: 4 + 8 });
    assert.deepEqual(await kept('::1'), { summary: 32, flows: 32 });
    assert.deepEqual(await kept('64:ff9b::a00:5'), { summary: 64, flows: 64 });
  });

  it('keeps IPv4 addresses and CIDRs as they were', async () => {
    assert.deepEqual(await kept('10.0.0.0/8'), { summary: 1 + 2, flows: 1 + 2 });
    assert.deepEqual(await kept('10.0.0.5'), { summary: 1 + 2, flows: 1 + 2 });
    assert.deepEqual(await kept('192.168.0.0/16'), { summary: 2, flows: 2 });
  });

  it('refuses what is not an address or CIDR, naming it', async () => {
    for (const bad of [
      '2001:db8::/129',
      '2001:db8::1::2',
      '2001:db8:1:2:3:4:5:6:7',
      '12345::1',
      '10.0.0.0/33',
      '10.0.0.0/8/8',
      "' OR 1=1 --",
      '::ffff:10.0.0.1',
    ]) {
      const r = await get(`/api/summary?ip=${encodeURIComponent(bad)}`);
      assert.equal(r.status, 400, bad);
      assert.match(String(r.body.error), /^ip=/, bad);
    }
  });

  it('takes an IPv6 CIDR typed into the page’s box (Chromium)', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(running.url);
      await page.waitForSelector('body[data-loading="0"]');
      await page.fill('input[aria-label="IP or CIDR"]', '2001:db8::/32');
      await page.press('input[aria-label="IP or CIDR"]', 'Enter');
      await page.waitForURL(/ip=2001/);
      await page.waitForSelector('body[data-loading="0"]');
      assert.equal(Number(await page.getAttribute('[data-kpi="records"]', 'data-value')), 3);
      assert.match((await page.textContent('.chips')) ?? '', /2001:db8::\/32/);
      assert.equal(new URL(page.url()).searchParams.get('ip'), '2001:db8::/32');
      await page.screenshot({ path: join(DOCS, 'dashboard-ipv6.png') });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
