/** Each panel: fetch its API, render its cards. */
import * as chart from './charts.js';
import { type Column, card, el, emptyNote, type Row, type Section, sectionBody, table } from './dom.js';
import * as fmt from './format.js';
import { current, getJson, update } from './state.js';

type Data = Record<string, unknown>;
const sec = (d: Data, k: string): Section => d[k] as Section;
const rowsOf = (s: Section): Row[] => ('rows' in s ? s.rows : []);

const measureCols = (by: chart.Measure = 'bytes'): Column[] => [
  { field: 'bytes', label: 'Bytes', numeric: true, format: (v) => fmt.bytes(v) },
  { field: 'packets', label: 'Packets', numeric: true },
  { field: 'records', label: by === 'records' ? 'Flows ▾' : 'Flows', numeric: true },
];

export interface Meta {
  label: string;
  records: number;
  extent: { min: number; max: number } | null;
  present: string[];
  rollups: string[];
  alerts: boolean;
  live: boolean;
  values: Record<string, unknown[]>;
  prices: { date: string; categories: Array<{ id: string; label: string; price: number; note: string }> };
}

export let alertMarkers: chart.Marker[] = [];

export async function overview(root: HTMLElement): Promise<void> {
  const d = await getJson<Data>('/api/panel/overview');
  const t = d.totals as Row;
  const n = (k: string) => Number(t[k] ?? 0);
  const dist = d.distinct as Row;
  // data-kpi/data-value carry the exact number behind the formatted one (tests read them).
  const kpi = (id: string, label: string, value: unknown, shown: string, sub = '') =>
    el(
      'div',
      { class: 'kpi', 'data-kpi': id, 'data-value': String(value ?? '') },
      el('div', { class: 'kpi-value' }, shown),
      el('div', { class: 'kpi-label' }, label),
      el('div', { class: 'kpi-sub' }, sub),
    );
  const flowsAll = n('accepted') + n('rejected');
  root.append(
    el(
      'div',
      { class: 'kpis' },
      kpi('records', 'Records', n('records'), fmt.count(n('records'))),
      kpi('bytes', 'Bytes', n('bytes'), fmt.bytes(n('bytes'))),
      kpi('packets', 'Packets', n('packets'), fmt.count(n('packets'))),
      kpi('accepted', 'Accepted flows', n('accepted'), fmt.count(n('accepted'))),
      kpi(
        'rejected',
        'Rejected flows',
        n('rejected'),
        fmt.count(n('rejected')),
        `${fmt.percent(n('rejected'), flowsAll)} of flows`,
      ),
      kpi('rejected_bytes', 'Rejected bytes', n('rejected_bytes'), fmt.bytes(n('rejected_bytes'))),
      kpi('sources', 'Sources', dist.sources, fmt.count(dist.sources)),
      kpi('destinations', 'Destinations', dist.destinations, fmt.count(dist.destinations)),
      kpi('interfaces', 'Interfaces', dist.interfaces, fmt.count(dist.interfaces)),
    ),
  );
  const series = sec(d, 'series');
  const bucket = Number(d.bucket);
  root.append(
    el(
      'div',
      { class: 'cards' },
      card(
        'Bytes over time, by action',
        sectionBody(series, (rows) => chart.actionSeries(rows, 'bytes', undefined, alertMarkers)),
      ),
      card(
        'Flows over time, by action',
        sectionBody(series, (rows) => chart.actionSeries(rows, 'records', undefined, alertMarkers)),
      ),
      card(
        `Bandwidth (average per ${fmt.duration(bucket)})`,
        sectionBody(series, (rows) =>
          chart.actionSeries(rows, 'bytes', (r) => (Number(r.bytes) * 8) / bucket, [], fmt.bits),
        ),
      ),
    ),
  );
}

export async function talkers(root: HTMLElement): Promise<void> {
  const by = (current().get('by') ?? 'bytes') as chart.Measure;
  const d = await getJson<Data>('/api/panel/talkers', { by });
  const pick = el('select', { 'aria-label': 'rank by' });
  for (const m of ['bytes', 'packets', 'records']) {
    const o = el('option', { value: m }, m === 'records' ? 'flows' : m);
    if (m === by) o.selected = true;
    pick.append(o);
  }
  pick.addEventListener('change', () => update((p) => p.set('by', pick.value)));
  root.append(el('div', { class: 'panel-tools' }, 'Rank by ', pick));
  const addr = (f: string) => (rows: Row[]) => chart.bars(rows, f, by);
  root.append(
    el(
      'div',
      { class: 'cards' },
      withFirst(
        card('Top sources', sectionBody(sec(d, 'sources'), addr('srcaddr'))),
        sec(d, 'sources'),
        'srcaddr',
      ),
      card('Top destinations', sectionBody(sec(d, 'destinations'), addr('dstaddr'))),
      card(
        'Top destination ports',
        sectionBody(sec(d, 'ports'), (rows) =>
          chart.bars(rows, 'dstport', by, (r) => `${r.dstport}/${fmt.protocol(r.protocol)}`),
        ),
      ),
      card(
        'Top pairs',
        sectionBody(sec(d, 'pairs'), (rows) =>
          table(
            [
              { field: 'srcaddr', label: 'Source' },
              { field: 'dstaddr', label: 'Destination' },
              ...measureCols(by),
            ],
            rows,
          ),
        ),
        true,
      ),
      card(
        'Top interfaces',
        sectionBody(sec(d, 'interfaces'), (rows) =>
          table(
            [
              { field: 'interface_id', label: 'Interface' },
              { field: 'instance_id', label: 'Instance' },
              { field: 'vpc_id', label: 'VPC' },
              { field: 'subnet_id', label: 'Subnet' },
              { field: 'account_id', label: 'Account' },
              { field: 'region', label: 'Region' },
              ...measureCols(by),
            ],
            rows,
          ),
        ),
        true,
      ),
      card(
        'Top instances',
        sectionBody(sec(d, 'instances'), (rows) =>
          table(
            [
              { field: 'instance_id', label: 'Instance' },
              { field: 'vpc_id', label: 'VPC' },
              { field: 'subnet_id', label: 'Subnet' },
              { field: 'account_id', label: 'Account' },
              { field: 'region', label: 'Region' },
              ...measureCols(by),
            ],
            rows,
          ),
        ),
        true,
      ),
    ),
  );
}

/** Marks a card with its first row's value (what a user reads first; tests read it too). */
function withFirst(c: HTMLElement, s: Section, field: string): HTMLElement {
  const first = rowsOf(s)[0]?.[field];
  if (first !== undefined && first !== null) c.dataset.first = String(first);
  return c;
}

export async function rejected(root: HTMLElement): Promise<void> {
  const d = await getJson<Data>('/api/panel/rejected');
  root.append(
    el(
      'div',
      { class: 'cards' },
      card(
        'Rejected flows over time',
        sectionBody(sec(d, 'series'), (rows) => chart.actionSeries(rows, 'records', undefined, alertMarkers)),
        true,
      ),
      card(
        'Top rejected sources',
        sectionBody(sec(d, 'sources'), (rows) => chart.bars(rows, 'srcaddr', 'records')),
      ),
      card(
        'Top rejected destination ports',
        sectionBody(sec(d, 'ports'), (rows) =>
          chart.bars(rows, 'dstport', 'records', (r) => `${r.dstport}/${fmt.protocol(r.protocol)}`),
        ),
      ),
      card(
        'Top rejecting interfaces',
        sectionBody(sec(d, 'interfaces'), (rows) => chart.bars(rows, 'interface_id', 'records')),
      ),
      card(
        'Reject reasons (v8+)',
        sectionBody(
          sec(d, 'reasons'),
          (rows) => chart.bars(rows, 'reject_reason', 'records'),
          'No rejected record carries a reason.',
        ),
      ),
    ),
  );
}

export async function protocols(root: HTMLElement): Promise<void> {
  const d = await getJson<Data>('/api/panel/protocols');
  const srcTable = (rows: Row[]) =>
    table(
      [
        { field: 'srcaddr', label: 'Source' },
        { field: 'records', label: 'Flows', numeric: true },
        { field: 'bytes', label: 'Bytes', numeric: true, format: (v) => fmt.bytes(v) },
      ],
      rows,
    );
  root.append(
    el(
      'div',
      { class: 'cards' },
      card(
        'Protocol mix (bytes)',
        sectionBody(sec(d, 'mix'), (rows) => chart.pie(rows, 'protocol', 'bytes')),
      ),
      card(
        'TCP flag combinations (flows)',
        sectionBody(sec(d, 'flags'), (rows) => chart.bars(rows, 'tcp_flags', 'records')),
      ),
      card(
        'Half-open sources (SYN without ACK)',
        sectionBody(sec(d, 'halfOpen'), srcTable, 'No SYN-only flows.'),
      ),
      card('Reset-heavy sources (RST)', sectionBody(sec(d, 'resets'), srcTable, 'No flows with RST.')),
    ),
  );
}

export async function geo(root: HTMLElement): Promise<void> {
  const d = await getJson<Data>('/api/panel/geo');
  const side = current().get('side') === 'src' ? 'src' : 'dst';
  const pick = el('select', { 'aria-label': 'map side' });
  for (const [v, label] of [
    ['dst', 'destination countries'],
    ['src', 'source countries'],
  ] as const) {
    const o = el('option', { value: v }, label);
    if (v === side) o.selected = true;
    pick.append(o);
  }
  pick.addEventListener('change', () => update((p) => p.set('side', pick.value)));
  const countries = sec(d, side === 'src' ? 'srcCountries' : 'dstCountries');
  const field = side === 'src' ? 'src_country' : 'dst_country';
  const asnTable = (s: 'src' | 'dst') => (rows: Row[]) =>
    table(
      [
        { field: `${s}_asn`, label: 'ASN' },
        { field: `${s}_as_org`, label: 'Organisation' },
        ...measureCols(),
      ],
      rows,
    );
  root.append(el('div', { class: 'panel-tools' }, 'Map of ', pick));
  root.append(
    el(
      'div',
      { class: 'cards' },
      card(
        `Bytes by ${side === 'src' ? 'source' : 'destination'} country`,
        sectionBody(countries, (rows) => chart.worldMap(rows, field)),
        true,
      ),
      card(
        'Top countries',
        sectionBody(countries, (rows) =>
          table(
            [
              { field: 'country', label: 'Country', format: (v) => String(v) },
              { field: 'bytes', label: 'Bytes', numeric: true, format: (v) => fmt.bytes(v) },
              { field: 'records', label: 'Flows', numeric: true },
              { field: 'rejected', label: 'Rejected', numeric: true },
            ],
            rows.slice(0, 10),
          ),
        ),
      ),
      card(
        'Traffic class (public / private)',
        sectionBody(sec(d, 'classes'), (rows) => chart.pie(rows, 'flow_class', 'bytes')),
      ),
      card('Top source ASNs', sectionBody(sec(d, 'srcAsns'), asnTable('src')), true),
      card('Top destination ASNs', sectionBody(sec(d, 'dstAsns'), asnTable('dst')), true),
    ),
  );
}

export async function aws(root: HTMLElement): Promise<void> {
  const d = await getJson<Data>('/api/panel/aws');
  root.append(
    el(
      'div',
      { class: 'cards' },
      card(
        'Destination AWS services (pkt-dst-aws-service)',
        sectionBody(sec(d, 'dstServices'), (rows) => chart.bars(rows, 'pkt_dst_aws_service', 'bytes')),
      ),
      card(
        'Source AWS services (pkt-src-aws-service)',
        sectionBody(sec(d, 'srcServices'), (rows) => chart.bars(rows, 'pkt_src_aws_service', 'bytes')),
      ),
      card(
        'Flow direction',
        sectionBody(sec(d, 'directions'), (rows) => chart.pie(rows, 'flow_direction', 'bytes')),
      ),
      card(
        'Traffic path',
        sectionBody(
          sec(d, 'paths'),
          (rows) => chart.bars(rows, 'traffic_path', 'bytes'),
          'No record has a traffic path (it is set on egress only).',
        ),
      ),
      card(
        'Availability zones',
        sectionBody(sec(d, 'zones'), (rows) => chart.bars(rows, 'az_id', 'bytes')),
      ),
      card(
        'NAT-ed flows by interface (packet address ≠ interface address)',
        sectionBody(
          sec(d, 'natted'),
          (rows) => chart.bars(rows, 'interface_id', 'bytes'),
          'No NAT-ed flows.',
        ),
      ),
      card(
        'Subnets',
        sectionBody(sec(d, 'subnets'), (rows) =>
          table(
            [
              { field: 'subnet_id', label: 'Subnet' },
              { field: 'vpc_id', label: 'VPC' },
              { field: 'az_id', label: 'AZ' },
              ...measureCols(),
            ],
            rows,
          ),
        ),
        true,
      ),
    ),
  );
}

/** Prices in the URL (`prices=id:usd,…`) override the defaults. */
function prices(meta: Meta): Map<string, number> {
  const map = new Map(meta.prices.categories.map((c) => [c.id, c.price]));
  for (const part of (current().get('prices') ?? '').split(',')) {
    const [id, v] = part.split(':');
    if (id && v !== undefined && map.has(id) && Number.isFinite(Number(v))) map.set(id, Number(v));
  }
  return map;
}

export async function cost(root: HTMLElement, meta: Meta): Promise<void> {
  const d = await getJson<Data>('/api/panel/cost');
  const price = prices(meta);
  const cats = d.categories as Row[];
  let total = 0;
  const rows = cats.map((c) => {
    const id = String(c.id);
    const input = el('input', {
      type: 'number',
      step: '0.001',
      min: '0',
      value: String(price.get(id) ?? 0),
      'aria-label': `price ${c.label}`,
      class: 'price',
    });
    input.addEventListener('change', () => {
      price.set(id, Number(input.value));
      update((p) => p.set('prices', [...price].map(([k, v]) => `${k}:${v}`).join(',')));
    });
    const missing = c.missing as string[] | undefined;
    const usd = missing ? 0 : (Number(c.bytes) / 1e9) * (price.get(id) ?? 0);
    total += usd;
    return el(
      'tr',
      {},
      el('td', { title: String(c.priceNote) }, String(c.label)),
      el('td', { class: 'num' }, missing ? `needs ${missing.join(', ')}` : fmt.bytes(c.bytes)),
      el('td', { class: 'num' }, input),
      el('td', { class: 'num' }, missing ? '–' : fmt.usd(usd)),
    );
  });
  const head = el(
    'tr',
    {},
    el('th', {}, 'Category'),
    el('th', { class: 'num' }, 'Bytes'),
    el('th', { class: 'num' }, 'USD / GB'),
    el('th', { class: 'num' }, 'Estimate'),
  );
  const foot = el(
    'tr',
    { class: 'total' },
    el('td', {}, 'Total'),
    el('td', {}),
    el('td', {}),
    el('td', { class: 'num' }, fmt.usd(total)),
  );
  const by = d.internetBy as Data;
  const egress = (f: string) => (rs: Row[]) => chart.bars(rs, f, 'bytes');
  root.append(
    el(
      'p',
      { class: 'note' },
      `An estimate from flow records, not a bill: defaults are AWS public list prices (us-east-1, ${meta.prices.date}); edit them to yours. A NAT-ed internet flow counts in both its categories. Cross-AZ needs both interfaces in the store.`,
    ),
    el(
      'div',
      { class: 'cards' },
      card(
        'Transfer by category',
        el('table', { class: 'cost' }, el('thead', {}, head), el('tbody', {}, ...rows, foot)),
        true,
      ),
      card('Internet egress by interface', sectionBody(sec(by, 'interface'), egress('interface_id'))),
      card('Internet egress by instance', sectionBody(sec(by, 'instance'), egress('instance_id'))),
      card('Internet egress by subnet', sectionBody(sec(by, 'subnet'), egress('subnet_id'))),
      card('Internet egress by destination', sectionBody(sec(by, 'destination'), egress('dstaddr'))),
    ),
  );
}

export async function health(root: HTMLElement): Promise<void> {
  const d = await getJson<Data>('/api/panel/health');
  const live = d.live as Row | null;
  const cards: HTMLElement[] = [];
  if (live) {
    const sinks = (live.sinks as Row[]) ?? [];
    const lag = live.lagSeconds as Row | undefined;
    cards.push(
      card(
        'Pipeline (live counters)',
        table(
          [
            { field: 'k', label: 'Counter' },
            { field: 'v', label: 'Value', numeric: true, format: (v) => String(v) },
          ],
          [
            { k: 'records decoded', v: fmt.count(live.records) },
            { k: 'malformed', v: fmt.count(live.malformed) },
            {
              k: 'NODATA / SKIPDATA',
              v: `${fmt.count(live.nodata ?? 0)} / ${fmt.count(live.skipdata ?? 0)}`,
            },
            {
              k: 'delivery lag p50 / p95',
              v: lag ? `${fmt.duration(lag.p50)} / ${fmt.duration(lag.p95)}` : '–',
            },
            ...sinks.map((s) => ({
              k: `sink ${s.name}`,
              v: `${fmt.count(s.delivered)} delivered, ${fmt.count(s.failed)} failed`,
            })),
          ],
        ),
      ),
    );
  } else {
    cards.push(
      card(
        'Pipeline',
        emptyNote(
          'Live counters (decoded, malformed, per-sink delivered/failed) appear when the dashboard runs under flowlens serve; this view reads a store file.',
        ),
      ),
    );
  }
  const status = sec(d, 'status');
  const statusRows = rowsOf(status);
  const all = statusRows.reduce((a, r) => a + Number(r.records), 0);
  cards.push(
    card(
      'Log status in the store',
      sectionBody(status, (rows) =>
        table(
          [
            { field: 'log_status', label: 'Status' },
            { field: 'records', label: 'Records', numeric: true },
            { field: 'share', label: 'Share', numeric: true, format: (v) => String(v) },
          ],
          rows.map((r) => ({ ...r, share: fmt.percent(Number(r.records), all) })),
        ),
      ),
    ),
  );
  const stored = sec(d, 'stored');
  cards.push(
    card(
      'Ingestion (from the store)',
      sectionBody(stored, (rows) => {
        const r = rows[0]!;
        return table(
          [
            { field: 'k', label: 'Measure' },
            { field: 'v', label: 'Value', numeric: true, format: (v) => String(v) },
          ],
          [
            { k: 'inputs ingested', v: fmt.count(r.inputs) },
            { k: 'last ingested', v: fmt.time(r.last_ingested) },
            { k: 'lag end → ingested, p50 (±5 %)', v: fmt.duration(r.lag_p50) },
            { k: 'lag end → ingested, p95 (±5 %)', v: fmt.duration(r.lag_p95) },
          ],
        );
      }),
    ),
  );
  root.append(el('div', { class: 'cards' }, ...cards));
}

export async function alerts(root: HTMLElement): Promise<void> {
  const d = await getJson<{ available: boolean; rows: Row[] }>('/api/panel/alerts');
  alertMarkers = d.rows
    .slice(0, 20)
    .map((r) => ({ at: Number(r.first_seen), title: String(r.title ?? r.rule) }));
  if (!d.available) {
    root.append(
      emptyNote(
        'No alerts table in this store: alerts appear here once the alert engine writes them (flowlens serve with alert rules).',
      ),
    );
    return;
  }
  if (d.rows.length === 0) {
    root.append(emptyNote('No alert in this time range.'));
    return;
  }
  root.append(
    table(
      [
        { field: 'severity', label: 'Severity' },
        { field: 'title', label: 'Alert' },
        { field: 'rule', label: 'Rule' },
        { field: 'key', label: 'Key' },
        { field: 'mitre', label: 'MITRE' },
        { field: 'first_seen', label: 'First seen' },
        { field: 'last_seen', label: 'Last seen' },
        { field: 'count', label: 'Flows', numeric: true },
        { field: 'bytes', label: 'Bytes', numeric: true, format: (v) => fmt.bytes(v) },
      ],
      d.rows,
    ),
  );
}
