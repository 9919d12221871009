/** Small DOM helpers: elements, tables with clickable cells, empty and missing-field notes. */
import * as fmt from './format.js';
import { addFilter } from './state.js';

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

export type Row = Record<string, unknown>;
export type Section = { rows: Row[] } | { missing: string[] };

export function missingNote(missing: readonly string[]): HTMLElement {
  return el(
    'p',
    { class: 'note missing' },
    `Needs ${missing.map((m) => m.replaceAll('_', '-')).join(', ')}: not in these flow records (older log formats such as v2 lack them).`,
  );
}

export function emptyNote(text = 'No records match the filters.'): HTMLElement {
  return el('p', { class: 'note' }, text);
}

/** Which fields a click may add as a filter (the API's filter names). */
export const FILTERABLE = new Set([
  'account_id',
  'region',
  'az_id',
  'vpc_id',
  'subnet_id',
  'interface_id',
  'instance_id',
  'action',
  'protocol',
  'srcaddr',
  'dstaddr',
  'dstport',
  'srcport',
  'tcp_flags',
  'flow_direction',
  'traffic_path',
  'pkt_src_aws_service',
  'pkt_dst_aws_service',
  'reject_reason',
  'src_country',
  'dst_country',
  'src_asn',
  'dst_asn',
  'flow_class',
  'log_status',
]);

const ADDRESS_FIELDS = new Set(['srcaddr', 'dstaddr', 'peer']);

export interface Column {
  readonly field: string;
  readonly label: string;
  readonly numeric?: boolean;
  readonly format?: (v: unknown, row: Row) => string;
}

let openProfile: (addr: string) => void = () => undefined;

export function setProfileOpener(fn: (addr: string) => void): void {
  openProfile = fn;
}

/** A table; filterable cells add their value as a filter, addresses also open the profile. */
export function table(columns: readonly Column[], rows: readonly Row[]): HTMLElement {
  const head = el('tr', {}, ...columns.map((c) => el('th', c.numeric ? { class: 'num' } : {}, c.label)));
  const body = rows.map((r) =>
    el(
      'tr',
      {},
      ...columns.map((c) => {
        const v = r[c.field];
        const text = c.format ? c.format(v, r) : fmt.value(c.field, v);
        const td = el('td', c.numeric ? { class: 'num' } : {});
        if (v !== null && v !== undefined && (FILTERABLE.has(c.field) || ADDRESS_FIELDS.has(c.field))) {
          const link = el('a', { href: '#', title: `filter ${c.field} = ${String(v)}` }, text);
          link.addEventListener('click', (ev) => {
            ev.preventDefault();
            if (ADDRESS_FIELDS.has(c.field)) openProfile(String(v));
            else addFilter(c.field, v);
          });
          td.append(link);
        } else {
          td.append(text);
        }
        return td;
      }),
    ),
  );
  return el('table', {}, el('thead', {}, head), el('tbody', {}, ...body));
}

/** A card in a panel: a title and its body (a chart, a table, or a note). */
export function card(title: string, body: Node, wide = false): HTMLElement {
  return el('div', { class: wide ? 'card wide' : 'card' }, el('h3', {}, title), body);
}

/** A section's body: `render(rows)` when it has rows, else a note that says why not. */
export function sectionBody(
  section: Section | undefined,
  render: (rows: Row[]) => Node,
  empty?: string,
): Node {
  if (!section) return emptyNote();
  if ('missing' in section) return missingNote(section.missing);
  if (section.rows.length === 0) return emptyNote(empty);
  return render(section.rows);
}
