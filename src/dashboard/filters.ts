import { parseTime } from '../store/time.js';
import { HttpError } from './http-error.js';

/**
 * The dashboard's global filters, parsed once from a query string. Names are the `flows`
 * columns (`action`, `srcaddr`, `dstport`, …); a name given several times matches any of its
 * values. `ip` matches either address, as an IPv4 or IPv6 address or CIDR. `from`/`to` bound the
 * record's `end` (from inclusive, to exclusive), as Unix seconds or RFC 3339.
 */
export type FilterKind = 'text' | 'int';

export const FILTER_COLUMNS: ReadonlyMap<string, FilterKind> = new Map([
  ['account_id', 'text'],
  ['region', 'text'],
  ['az_id', 'text'],
  ['vpc_id', 'text'],
  ['subnet_id', 'text'],
  ['interface_id', 'text'],
  ['instance_id', 'text'],
  ['action', 'text'],
  ['log_status', 'text'],
  ['protocol', 'int'],
  ['srcaddr', 'text'],
  ['dstaddr', 'text'],
  ['srcport', 'int'],
  ['dstport', 'int'],
  ['tcp_flags', 'int'],
  ['flow_direction', 'text'],
  ['traffic_path', 'int'],
  ['pkt_src_aws_service', 'text'],
  ['pkt_dst_aws_service', 'text'],
  ['reject_reason', 'text'],
  ['src_country', 'text'],
  ['dst_country', 'text'],
  ['src_asn', 'int'],
  ['dst_asn', 'int'],
  ['flow_class', 'text'],
]);

/** Query parameters that are not filters: the panels' own options. */
const OPTION_PARAMS = new Set(['by', 'limit', 'offset', 'sort', 'dir', 'format', 'addr', 'token', 'prices']);

export type IpFilter =
  /** An IPv4 address or CIDR: the inclusive range of `ipv4_int`. */
  | { readonly text: string; readonly v4: readonly [number, number] }
  /** An IPv6 address or CIDR: the inclusive range of `ipv6_full` (fixed-width text sorts as numbers). */
  | { readonly text: string; readonly v6: readonly [string, string] };

export interface Filters {
  readonly from?: number;
  readonly to?: number;
  /** Column → accepted values (numbers for int columns). */
  readonly equal: ReadonlyMap<string, ReadonlyArray<string | number>>;
  readonly ip?: IpFilter;
}

const MAX_VALUES = 50;

export function parseFilters(params: URLSearchParams): Filters {
  const equal = new Map<string, Array<string | number>>();
  let from: number | undefined;
  let to: number | undefined;
  let ip: IpFilter | undefined;
  for (const [name, raw] of params) {
    const value = raw.trim();
    if (name === 'from' || name === 'to') {
      if (value === '') continue;
      const t = parseTime(value);
      if (t === undefined) throw new HttpError(400, `${name}=${raw}: not Unix seconds or an RFC 3339 time`);
      if (name === 'from') from = t;
      else to = t;
      continue;
    }
    if (name === 'ip') {
      if (value !== '') ip = parseIp(value);
      continue;
    }
    if (OPTION_PARAMS.has(name)) continue;
    const kind = FILTER_COLUMNS.get(name);
    if (!kind)
      throw new HttpError(
        400,
        `unknown filter "${name}" (filters: ${[...FILTER_COLUMNS.keys()].join(', ')}, ip, from, to)`,
      );
    let values = equal.get(name);
    if (!values) {
      values = [];
      equal.set(name, values);
    }
    if (values.length >= MAX_VALUES) throw new HttpError(400, `${name}: at most ${MAX_VALUES} values`);
    if (kind === 'int') {
      if (!/^-?\d{1,15}$/.test(value)) throw new HttpError(400, `${name}=${raw}: not an integer`);
      values.push(Number(value));
    } else {
      values.push(value);
    }
  }
  if (from !== undefined && to !== undefined && to <= from)
    throw new HttpError(400, `to (${to}) is not after from (${from})`);
  return {
    equal,
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(ip ? { ip } : {}),
  };
}

function ipv4Number(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! * 256 + parts[1]!) * 256 + parts[2]!) * 256 + parts[3]!;
}

function parseIp(text: string): IpFilter {
  const [addr = '', bits, extra] = text.split('/');
  if (extra !== undefined) throw new HttpError(400, `ip=${text}: not an IP address or CIDR`);
  const v4 = ipv4Number(addr);
  const v6 = v4 === undefined ? ipv6Groups(addr) : undefined;
  if (v4 === undefined && v6 === undefined)
    throw new HttpError(400, `ip=${text}: not an IPv4 or IPv6 address or CIDR (a.b.c.d/n, 2001:db8::/32)`);
  const max = v4 === undefined ? 128 : 32;
  const len = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : Number.NaN;
  if (!(len >= 0 && len <= max))
    throw new HttpError(400, `ip=${text}: the prefix length must be 0 to ${max}`);
  if (v4 !== undefined) {
    const size = 2 ** (32 - len);
    const lo = Math.floor(v4 / size) * size;
    return { text, v4: [lo, lo + size - 1] };
  }
  const lo = v6!.map((g, i) => g & groupMask(len - 16 * i));
  const hi = v6!.map((g, i) => g | (~groupMask(len - 16 * i) & 0xffff));
  return { text, v6: [ipv6Text(lo), ipv6Text(hi)] };
}

/** The bits of a 16-bit group inside a prefix that has `bits` bits left at the group. */
function groupMask(bits: number): number {
  if (bits >= 16) return 0xffff;
  if (bits <= 0) return 0;
  return (0xffff << (16 - bits)) & 0xffff;
}

/** An IPv6 address's eight 16-bit groups (`::` expanded); undefined if it is not one. */
export function ipv6Groups(text: string): number[] | undefined {
  if (!/^[0-9a-fA-F:]{2,39}$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const part = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = part(halves[0]!);
  const tail = halves.length === 2 ? part(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => Number.parseInt(g, 16));
}

/** The fixed-width form `ipv6_full` (schema.ts) gives stored addresses. */
function ipv6Text(groups: readonly number[]): string {
  return groups.map((g) => g.toString(16).padStart(4, '0')).join(':');
}

/** Columns a filter set reads (for choosing a rollup that has them). */
export function filterColumns(filters: Filters): string[] {
  const cols = [...filters.equal.keys()];
  if (filters.ip) cols.push('srcaddr', 'dstaddr');
  return cols;
}

/** A WHERE condition with `?` placeholders and its values. */
export interface Condition {
  readonly sql: string;
  readonly params: unknown[];
}

/**
 * The filters as SQL over a table whose time column is `timeColumn` (Unix seconds). Values are
 * bound parameters; column names come from FILTER_COLUMNS only.
 */
export function whereSql(filters: Filters, timeColumn: string, extra: readonly string[] = []): Condition {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (filters.from !== undefined) {
    parts.push(`${timeColumn} >= ?`);
    params.push(filters.from);
  }
  if (filters.to !== undefined) {
    parts.push(`${timeColumn} < ?`);
    params.push(filters.to);
  }
  for (const [name, values] of filters.equal) {
    parts.push(`"${name}" IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  }
  if (filters.ip) {
    const ip = filters.ip;
    const [fn, range] = 'v4' in ip ? ['ipv4_int', ip.v4] : ['ipv6_full', ip.v6];
    parts.push(`(${fn}(srcaddr) BETWEEN ? AND ? OR ${fn}(dstaddr) BETWEEN ? AND ?)`);
    params.push(...range, ...range);
  }
  parts.push(...extra);
  return { sql: parts.length ? parts.join(' AND ') : 'TRUE', params };
}
