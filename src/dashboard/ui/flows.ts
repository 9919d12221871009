/** The flow table (paged, sortable, CSV) and the address profile. */
import { card, el, type Row, type Section, sectionBody, setProfileOpener, table } from './dom.js';
import * as fmt from './format.js';
import { current, downloadUrl, getJson, update } from './state.js';

interface FlowPage {
  columns: string[];
  rows: Row[];
  total: number;
  limit: number;
  offset: number;
  sort: string;
  dir: string;
}

export async function flows(root: HTMLElement): Promise<void> {
  const p = current();
  const q: Record<string, string> = { limit: '50' };
  for (const k of ['sort', 'dir', 'offset']) {
    const v = p.get(k);
    if (v) q[k] = v;
  }
  const d = await getJson<FlowPage>('/api/flows', q);
  const head = el(
    'tr',
    {},
    ...d.columns.map((c) => {
      const th = el(
        'th',
        { class: 'sortable', title: `sort by ${c}` },
        c.replaceAll('_', ' ') + (d.sort === c ? (d.dir === 'asc' ? ' ▲' : ' ▼') : ''),
      );
      th.addEventListener('click', () =>
        update((x) => {
          x.set('sort', c);
          x.set('dir', d.sort === c && d.dir === 'desc' ? 'asc' : 'desc');
        }),
      );
      return th;
    }),
  );
  const body = table(
    d.columns.map((c) => ({ field: c, label: c, numeric: ['bytes', 'packets'].includes(c) })),
    d.rows,
  );
  body.querySelector('thead')?.replaceWith(el('thead', {}, head));
  const page = (offset: number) => {
    const u = new URLSearchParams(location.search);
    u.set('offset', String(offset));
    history.pushState(null, '', `?${u}`);
    root.replaceChildren();
    void flows(root);
  };
  const prev = el('button', {}, '‹ Previous');
  prev.disabled = d.offset === 0;
  prev.addEventListener('click', () => page(Math.max(0, d.offset - d.limit)));
  const next = el('button', {}, 'Next ›');
  next.disabled = d.offset + d.limit >= d.total;
  next.addEventListener('click', () => page(d.offset + d.limit));
  const csv = el(
    'a',
    {
      href: downloadUrl('/api/flows', { format: 'csv', limit: '100000' }),
      download: 'flows.csv',
      class: 'button',
    },
    'Export CSV (up to 100,000 rows)',
  );
  const shown =
    d.total === 0
      ? 'none'
      : `${fmt.count(d.offset + 1)}–${fmt.count(Math.min(d.offset + d.limit, d.total))} of ${fmt.count(d.total)}`;
  root.append(
    el(
      'div',
      { class: 'panel-tools' },
      `Records ${shown} `,
      prev,
      next,
      csv,
      el('span', { class: 'hint' }, ' Click an address for its profile, any other value to filter.'),
    ),
    el('div', { class: 'scroll' }, body),
  );
}

interface Profile {
  addr: string;
  totals: Row;
  peers: Section;
  ports: Section;
  rejects: Section;
  places: Section;
}

/** The profile drawer: opens over the page, closes with its button or Escape. */
export function installProfile(drawer: HTMLElement): void {
  const close = () => {
    drawer.hidden = true;
    drawer.replaceChildren();
  };
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') close();
  });
  setProfileOpener(async (addr) => {
    drawer.hidden = false;
    drawer.replaceChildren(el('p', { class: 'note' }, `Loading ${addr}…`));
    const d = await getJson<Profile>('/api/profile', { addr });
    const t = d.totals;
    const x = el('button', { class: 'close', 'aria-label': 'close' }, '×');
    x.addEventListener('click', close);
    const filter = el('button', {}, `Filter the dashboard to ${addr}`);
    filter.addEventListener('click', () => {
      close();
      update((p) => p.set('ip', addr));
    });
    drawer.replaceChildren(
      el('div', { class: 'drawer-head' }, el('h2', {}, addr), x),
      el(
        'p',
        {},
        `${fmt.count(t.records)} flows, ${fmt.bytes(t.bytes)}, ${fmt.count(t.rejected)} rejected · as source ${fmt.count(t.as_source)}, as destination ${fmt.count(t.as_destination)}`,
      ),
      el('p', {}, `First seen ${fmt.time(t.first_seen)} · last seen ${fmt.time(t.last_seen)}`),
      filter,
      card(
        'Talks with',
        sectionBody(d.peers, (rows) =>
          table(
            [
              { field: 'peer', label: 'Peer' },
              { field: 'records', label: 'Flows', numeric: true },
              { field: 'bytes', label: 'Bytes', numeric: true },
              { field: 'rejected', label: 'Rejected', numeric: true },
            ],
            rows,
          ),
        ),
      ),
      card(
        'Destination ports',
        sectionBody(d.ports, (rows) =>
          table(
            [
              { field: 'dstport', label: 'Port' },
              { field: 'protocol', label: 'Protocol' },
              { field: 'records', label: 'Flows', numeric: true },
              { field: 'rejected', label: 'Rejected', numeric: true },
            ],
            rows,
          ),
        ),
      ),
      card(
        'Rejected',
        sectionBody(
          d.rejects,
          (rows) =>
            table(
              [
                { field: 'srcaddr', label: 'Source' },
                { field: 'dstaddr', label: 'Destination' },
                { field: 'dstport', label: 'Port' },
                { field: 'records', label: 'Flows', numeric: true },
              ],
              rows,
            ),
          'Nothing rejected.',
        ),
      ),
      card(
        'Countries and ASNs of its peers',
        sectionBody(d.places, (rows) =>
          table(
            [
              { field: 'country', label: 'Country', format: (v) => String(v ?? '–') },
              { field: 'asn', label: 'ASN', format: (v) => String(v ?? '–') },
              { field: 'as_org', label: 'Organisation', format: (v) => String(v ?? '–') },
              { field: 'bytes', label: 'Bytes', numeric: true },
            ],
            rows,
          ),
        ),
      ),
    );
  });
}
