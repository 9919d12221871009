/** The dashboard page: filter bar, panels, each loaded on its own from the API. */
import { disposeIn, drawPending } from './charts.js';
import { el } from './dom.js';
import { flows, installProfile } from './flows.js';
import * as fmt from './format.js';
import * as panels from './panels.js';
import { current, getJson, initToken, onChange, removeFilter, update } from './state.js';

interface PanelDef {
  readonly id: string;
  readonly title: string;
  readonly render: (root: HTMLElement, meta: panels.Meta) => Promise<void>;
}

const PANELS: readonly PanelDef[] = [
  { id: 'alerts', title: 'Alerts', render: panels.alerts },
  { id: 'overview', title: 'Overview', render: panels.overview },
  { id: 'talkers', title: 'Top talkers', render: panels.talkers },
  { id: 'rejected', title: 'Rejected traffic', render: panels.rejected },
  { id: 'cost', title: 'Where the transfer bill comes from', render: panels.cost },
  { id: 'protocols', title: 'Protocols and TCP', render: panels.protocols },
  { id: 'geo', title: 'Geography and networks', render: panels.geo },
  { id: 'aws', title: 'AWS networking', render: panels.aws },
  { id: 'health', title: 'Pipeline health', render: panels.health },
  { id: 'flows', title: 'Flows', render: (root) => flows(root) },
];

const LABELS: Record<string, string> = {
  account_id: 'Account',
  region: 'Region',
  vpc_id: 'VPC',
  subnet_id: 'Subnet',
  interface_id: 'Interface',
  instance_id: 'Instance',
  action: 'Action',
  protocol: 'Protocol',
  flow_direction: 'Direction',
  traffic_path: 'Traffic path',
};

const RANGES: Array<[string, number]> = [
  ['1 hour', 3600],
  ['6 hours', 21600],
  ['24 hours', 86400],
  ['7 days', 604800],
  ['30 days', 2592000],
];

function isoLocal(secs: number): string {
  return new Date(secs * 1000).toISOString().slice(0, 16);
}

function filterBar(meta: panels.Meta): HTMLElement {
  const p = current();
  const bar = el('div', { class: 'filters' });
  // Time: quick picks end at the newest record (stores are often not live), custom from/to in UTC.
  const range = el('select', { 'aria-label': 'time range' }, el('option', { value: '' }, 'All time'));
  const newest = meta.extent ? Math.ceil((meta.extent.max + 1) / 3600) * 3600 : 0;
  for (const [label, secs] of RANGES) {
    const o = el('option', { value: String(secs) }, `Last ${label}`);
    if (p.get('to') === String(newest) && p.get('from') === String(newest - secs)) o.selected = true;
    range.append(o);
  }
  const custom = el('option', { value: 'custom' }, 'Custom…');
  if (p.has('from') && !range.selectedOptions[0]?.value) custom.selected = true;
  range.append(custom);
  const from = el('input', {
    type: 'datetime-local',
    'aria-label': 'from (UTC)',
    value: p.get('from') ? isoLocal(Number(p.get('from'))) : '',
  });
  const to = el('input', {
    type: 'datetime-local',
    'aria-label': 'to (UTC)',
    value: p.get('to') ? isoLocal(Number(p.get('to'))) : '',
  });
  const customBox = el('span', { class: 'custom' }, from, ' – ', to, ' UTC');
  customBox.hidden = !custom.selected;
  range.addEventListener('change', () => {
    if (range.value === 'custom') {
      customBox.hidden = false;
      return;
    }
    update((x) => {
      x.delete('from');
      x.delete('to');
      if (range.value) {
        x.set('from', String(newest - Number(range.value)));
        x.set('to', String(newest));
      }
    });
  });
  const applyCustom = () =>
    update((x) => {
      const f = Date.parse(`${from.value}:00Z`);
      const t = Date.parse(`${to.value}:00Z`);
      if (Number.isFinite(f)) x.set('from', String(f / 1000));
      else x.delete('from');
      if (Number.isFinite(t)) x.set('to', String(t / 1000));
      else x.delete('to');
    });
  from.addEventListener('change', applyCustom);
  to.addEventListener('change', applyCustom);
  bar.append(el('label', {}, 'Time ', range), customBox);
  for (const [field, label] of Object.entries(LABELS)) {
    const values = meta.values[field];
    if (!values || values.length === 0) continue;
    const s = el(
      'select',
      { 'aria-label': label, 'data-field': field },
      el('option', { value: '' }, `${label}: any`),
    );
    for (const v of values) s.append(el('option', { value: String(v) }, `${label}: ${fmt.value(field, v)}`));
    s.addEventListener('change', () => {
      if (s.value) update((x) => x.append(field, s.value));
    });
    bar.append(s);
  }
  const text = (field: string, label: string, placeholder: string) => {
    const input = el('input', {
      type: 'text',
      placeholder,
      'aria-label': label,
      size: field === 'ip' ? '24' : '6',
    });
    input.addEventListener('change', () => {
      const v = input.value.trim();
      if (v) update((x) => (field === 'ip' ? x.set('ip', v) : x.append(field, v)));
    });
    return input;
  };
  bar.append(text('dstport', 'destination port', 'port'), text('ip', 'IP or CIDR', 'IP or CIDR'));
  return bar;
}

const PAGE_ONLY = new Set(['by', 'side', 'sort', 'dir', 'offset', 'prices', 'token']);

function chips(): HTMLElement {
  const box = el('div', { class: 'chips' });
  const p = current();
  for (const [k, v] of p) {
    if (PAGE_ONLY.has(k)) continue;
    const shown =
      k === 'from' || k === 'to' ? fmt.time(Number(v)) : fmt.value(k, /^\d+$/.test(v) ? Number(v) : v);
    const x = el('button', { class: 'chip', title: `remove ${k} filter` }, `${k} = ${shown} ×`);
    x.addEventListener('click', () => removeFilter(k, v));
    box.append(x);
  }
  if (box.childElementCount > 0) {
    const clear = el('button', { class: 'chip clear' }, 'Clear all');
    clear.addEventListener('click', () =>
      update((x) => {
        for (const k of [...x.keys()]) if (!PAGE_ONLY.has(k)) x.delete(k);
      }),
    );
    box.append(clear);
  }
  return box;
}

async function main(): Promise<void> {
  initToken();
  const header = document.getElementById('header')!;
  const main = document.getElementById('panels')!;
  const drawer = document.getElementById('drawer')!;
  installProfile(drawer);
  let meta: panels.Meta;
  try {
    meta = await getJson<panels.Meta>('/api/meta');
  } catch (err) {
    main.replaceChildren(
      el('p', { class: 'note error' }, `Cannot load the dashboard: ${(err as Error).message}`),
    );
    return;
  }
  const sections = new Map<string, HTMLElement>();
  for (const def of PANELS) {
    const body = el('div', { class: 'panel-body' });
    sections.set(def.id, body);
    main.append(el('section', { id: def.id, class: 'panel' }, el('h2', {}, def.title), body));
  }
  const render = async (): Promise<void> => {
    const ext = meta.extent ? `${fmt.time(meta.extent.min)} – ${fmt.time(meta.extent.max)} UTC` : 'empty';
    header.replaceChildren(
      el(
        'div',
        { class: 'title' },
        el('h1', {}, 'flowlens'),
        el('span', { class: 'store' }, `${meta.label} · ${fmt.count(meta.records)} records · ${ext}`),
      ),
      filterBar(meta),
      chips(),
    );
    document.body.dataset.loading = String(PANELS.length);
    let left = PANELS.length;
    // Alerts first: the time charts draw their markers.
    const order = [PANELS[0]!, ...PANELS.slice(1)];
    const run = async (def: PanelDef) => {
      const root = sections.get(def.id)!;
      disposeIn(root);
      root.replaceChildren(el('p', { class: 'note' }, 'Loading…'));
      const fresh = el('div');
      try {
        await def.render(fresh, meta);
        root.replaceChildren(...fresh.childNodes);
        drawPending();
      } catch (err) {
        root.replaceChildren(el('p', { class: 'note error' }, `Could not load: ${(err as Error).message}`));
      }
      left--;
      document.body.dataset.loading = String(left);
    };
    await run(order[0]!);
    await Promise.all(order.slice(1).map(run));
  };
  onChange(() => void render());
  await render();
}

void main();
