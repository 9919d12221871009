import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type OpenedStore, openDashboardStore } from '../../src/dashboard/open.js';
import { writeSample } from '../../src/generate/index.js';
import type { GroundTruth } from '../../src/generate/types.js';
import { type FileTruth, fileTruth, ingest, type Running, serveDashboard } from './helpers.js';

/** Debian's chromium (apt-get install chromium; .ci/run installs it). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DOCS = join(import.meta.dirname, '..', '..', 'docs');

const dir = mkdtempSync(join(tmpdir(), 'flowlens-dashboard-page-'));
let truth: GroundTruth;
let file: FileTruth;
let store: OpenedStore;
let running: Running;
let browser: Browser;

before(async () => {
  const sample = join(dir, 'v5.log.gz');
  truth = await writeSample(sample, { records: 30_000, version: '5', seed: 7 });
  file = await fileTruth(sample);
  const db = join(dir, 'flows.duckdb');
  await ingest(db, [sample]);
  store = await openDashboardStore({ db });
  running = await serveDashboard({ reader: store.reader, label: 'generated sample (30,000 records)' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await running?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Opened {
  readonly page: Page;
  readonly errors: string[];
}

/** Opens the page and waits until every panel has rendered (body[data-loading="0"]). */
async function open(path = '/'): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  await page.goto(`${running.url}${path}`);
  await page.waitForSelector('body[data-loading="0"]');
  return { page, errors };
}

async function waitReloaded(page: Page): Promise<void> {
  await page.waitForSelector('body[data-loading="0"]');
}

const kpi = async (page: Page, id: string): Promise<number> =>
  Number(await page.getAttribute(`[data-kpi="${id}"]`, 'data-value'));

/** The browser's getComputedStyle, typed here (the tests compile without the DOM library). */
interface CursorOf {
  getComputedStyle(el: unknown): { cursor: string };
}

const PANELS = [
  'alerts',
  'overview',
  'talkers',
  'rejected',
  'cost',
  'protocols',
  'geo',
  'aws',
  'health',
  'flows',
];

describe('dashboard page in Chromium', () => {
  it('loads without console errors, every panel rendered, and shows the generator truth', async () => {
    const { page, errors } = await open();
    try {
      for (const id of PANELS) {
        const text = await page.textContent(`#${id} .panel-body`);
        assert.ok(text && text.length > 0, `${id} is empty`);
        assert.equal(await page.$(`#${id} .note.error`), null, `${id} shows an error: ${text}`);
      }
      // Charts drew on canvas, tables have rows.
      assert.ok((await page.$$('#overview canvas')).length >= 3);
      assert.ok((await page.$$('#geo canvas')).length >= 1);
      assert.ok((await page.$$('#flows tbody tr')).length === 50);
      assert.equal(await kpi(page, 'records'), truth.ok + truth.nodata + truth.skipdata);
      assert.equal(await kpi(page, 'bytes'), truth.bytes);
      assert.equal(await kpi(page, 'packets'), truth.packets);
      assert.equal(await kpi(page, 'accepted'), truth.accept.records);
      assert.equal(await kpi(page, 'rejected'), truth.reject.records);
      assert.equal(await kpi(page, 'rejected_bytes'), file.rejectedBytes);
      // The top talker table row (pairs) and the profile of the top source by bytes.
      const [topSource] = [...file.bytesBySource].sort((a, b) => b[1] - a[1]);
      const label = await page.getAttribute('#talkers .card:first-child', 'data-first');
      assert.equal(label, topSource![0]);
      assert.deepEqual(errors, []);
      mkdirSync(DOCS, { recursive: true });
      // The header stays at the top while scrolling; for one picture per panel it must not cover them.
      await page.addStyleTag({ content: 'header { position: static; }' });
      await page.screenshot({ path: join(DOCS, 'dashboard.png') });
      for (const id of [
        'overview',
        'talkers',
        'rejected',
        'cost',
        'geo',
        'aws',
        'protocols',
        'health',
        'flows',
      ]) {
        await page.locator(`#${id}`).screenshot({ path: join(DOCS, `dashboard-${id}.png`) });
      }
    } finally {
      await page.close();
    }
  });

  it('clicking a bar filters every panel, and the URL carries the filter', async () => {
    const { page, errors } = await open();
    try {
      const [topSource, bytes] = [...file.bytesBySource].sort((a, b) => b[1] - a[1])[0]!;
      const chart = page.locator('#talkers .card').first().locator('.chart');
      const box = (await chart.boundingBox())!;
      // The biggest bar is the top row: move along it until ECharts shows a pointer, then click.
      const y = box.y + 8 + 13;
      let clicked = false;
      for (let x = box.x + 20; x < box.x + box.width - 70 && !clicked; x += 6) {
        await page.mouse.move(x, y);
        const cursor = await chart.evaluate(
          (el) => (globalThis as unknown as CursorOf).getComputedStyle(el.firstElementChild ?? el).cursor,
        );
        if (cursor === 'pointer') {
          await page.mouse.click(x, y);
          clicked = true;
        }
      }
      assert.ok(clicked, 'found the top bar');
      await page.waitForURL((u) => u.searchParams.get('srcaddr') === topSource);
      await waitReloaded(page);
      assert.equal(await kpi(page, 'records'), file.recordsBySource.get(topSource));
      assert.equal(await kpi(page, 'bytes'), bytes);
      // Every panel re-read with the filter: the flow table only has that source, the chips show it.
      const sources = await page.$$eval('#flows tbody tr td:nth-child(5)', (tds) => [
        ...new Set(tds.map((t) => t.textContent)),
      ]);
      assert.deepEqual(sources, [topSource]);
      assert.equal(await page.getAttribute('#talkers .card:first-child', 'data-first'), topSource);
      assert.match(
        (await page.textContent('.chips')) ?? '',
        new RegExp(`srcaddr = ${topSource.replaceAll('.', '\\.')}`),
      );
      for (const id of PANELS) assert.equal(await page.$(`#${id} .note.error`), null, id);
      // The state is shareable: a fresh page at this URL shows the same.
      const again = await open(new URL(page.url()).search ? `/${new URL(page.url()).search}` : '/');
      assert.equal(await kpi(again.page, 'records'), file.recordsBySource.get(topSource));
      await again.page.close();
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('treats a filter value with SQL in it as data', async () => {
    const evil = "10.0.0.1' OR '1'='1";
    const { page, errors } = await open(`/?srcaddr=${encodeURIComponent(evil)}`);
    try {
      assert.equal(await kpi(page, 'records'), 0);
      assert.match((await page.textContent('.chips')) ?? '', /OR '1'='1/);
      assert.match((await page.textContent('#overview')) ?? '', /No records match the filters/);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('opens an address profile from the flow table', async () => {
    const { page, errors } = await open('/?action=REJECT');
    try {
      await page.locator('#flows tbody tr td:nth-child(5) a').first().click();
      await page.waitForSelector('#drawer:not([hidden]) .drawer-head');
      const text = (await page.textContent('#drawer')) ?? '';
      assert.match(text, /Talks with/);
      assert.match(text, /First seen \d{4}-/);
      await page.locator('#drawer').screenshot({ path: join(DOCS, 'dashboard-profile.png') });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
});
