import { type Cidr, inCidr, parseCidr } from '../cidr.js';
import { RuleError, type RuleInfo, SEVERITIES, type Severity } from '../types.js';
import { ACTION_ACCEPT, ACTION_REJECT, type BatchView } from '../view.js';
import type { BuildContext } from './builtin.js';
import { GroupRule, type Measure, type RowSelector } from './group-rule.js';
import {
  columnPart,
  DISTINCT_DST,
  DISTINCT_DSTPORT,
  DISTINCT_SRC,
  DST,
  DSTPORT,
  distinctColumn,
  INTERFACE,
  type KeyPart,
  PROTOCOL,
  SRC,
  SRCPORT,
} from './parts.js';
import type { StreamRule } from './rule.js';

/** A user rule from the config file, before it is compiled. */
export interface CustomRuleConfig {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly mitre: string;
  readonly window: number;
  readonly threshold: number;
  /** Record rule: filter, group-by, aggregate. */
  readonly filter?: Readonly<Record<string, unknown>>;
  readonly groupBy: readonly string[];
  readonly aggregate: string;
  /** Store rule: a SQL query over `flows` returning `key` and `count` (optional bytes, packets). */
  readonly sql?: string;
}

type RowTest = (v: BatchView, i: number) => boolean;

const DIRECTIONS = ['inbound', 'outbound', 'internal', 'external'] as const;
const FILTER_KEYS = [
  'action',
  'protocol',
  'srcport',
  'dstport',
  'src',
  'dst',
  'direction',
  'interface',
  'log_status',
  'flow_direction',
];

function ports(rule: string, key: string, value: unknown): Uint8Array {
  const list = Array.isArray(value) ? value : [value];
  const table = new Uint8Array(65537);
  for (const item of list) {
    const text = String(item);
    const m = /^(\d+)(?:-(\d+))?$/.exec(text);
    const lo = m ? Number(m[1]) : Number.NaN;
    const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
    if (!m || lo > 65535 || hi > 65535 || lo > hi)
      throw new RuleError(rule, `filter.${key}: "${text}" is not a port or a range like 1000-2000`);
    table.fill(1, lo, hi + 1);
  }
  return table;
}

function cidrs(rule: string, key: string, value: unknown): Cidr[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => {
    const c = typeof item === 'string' ? parseCidr(item) : null;
    if (!c) throw new RuleError(rule, `filter.${key}: ${JSON.stringify(item)} is not an IP address or CIDR`);
    return c;
  });
}

function textSet(rule: string, key: string, value: unknown): Set<string> {
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((x) => typeof x === 'string' && x !== ''))
    throw new RuleError(rule, `filter.${key}: expected text or a list of text`);
  return new Set(list as string[]);
}

function compileTest(rule: string, key: string, value: unknown): RowTest {
  switch (key) {
    case 'action': {
      const want = String(value).toUpperCase();
      if (want !== 'ACCEPT' && want !== 'REJECT')
        throw new RuleError(rule, `filter.action: expected ACCEPT or REJECT (got ${JSON.stringify(value)})`);
      const code = want === 'ACCEPT' ? ACTION_ACCEPT : ACTION_REJECT;
      return (v, i) => v.action[i] === code;
    }
    case 'protocol': {
      const list = (Array.isArray(value) ? value : [value]).map(Number);
      if (!list.every((p) => Number.isInteger(p) && p >= 0 && p <= 255))
        throw new RuleError(rule, 'filter.protocol: expected IANA protocol numbers (6 = TCP, 17 = UDP …)');
      const set = new Set(list);
      return (v, i) => set.has(v.proto[i]!);
    }
    case 'srcport':
    case 'dstport': {
      const table = ports(rule, key, value);
      return key === 'srcport' ? (v, i) => table[v.sport[i]!] === 1 : (v, i) => table[v.dport[i]!] === 1;
    }
    case 'src':
    case 'dst': {
      const list = cidrs(rule, key, value);
      const ids = key === 'src' ? (v: BatchView) => v.srcId : (v: BatchView) => v.dstId;
      return (v, i) => {
        const id = ids(v)[i]!;
        const t = v.table;
        return list.some((c) => inCidr(c, t.family[id]!, t.words, 4 * id));
      };
    }
    case 'direction': {
      const want = String(value);
      if (!(DIRECTIONS as readonly string[]).includes(want))
        throw new RuleError(rule, `filter.direction: expected one of ${DIRECTIONS.join(', ')}`);
      return (v, i) => {
        const s = v.localId[v.srcId[i]!] === 1;
        const d = v.localId[v.dstId[i]!] === 1;
        const dir = s && d ? 'internal' : !s && d ? 'inbound' : s && !d ? 'outbound' : 'external';
        return dir === want;
      };
    }
    default: {
      const column = key === 'interface' ? 'interface_id' : key;
      const set = textSet(rule, key, value);
      return (v, i) => {
        const col = v.str(column);
        if (!col) return false;
        const code = col.codes[i]!;
        return code !== 0 && set.has(col.dict[code]!);
      };
    }
  }
}

function keyPart(rule: string, name: string): KeyPart {
  switch (name) {
    case 'src':
      return SRC;
    case 'dst':
      return DST;
    case 'srcport':
      return SRCPORT;
    case 'dstport':
      return DSTPORT;
    case 'protocol':
      return PROTOCOL;
    case 'interface':
    case 'interface_id':
      return INTERFACE;
    default:
      if (!/^[a-z][a-z0-9_]*$/.test(name))
        throw new RuleError(rule, `group_by: "${name}" is not a field name`);
      return columnPart(name);
  }
}

function measure(rule: string, aggregate: string): Measure {
  if (aggregate === 'count' || aggregate === 'bytes' || aggregate === 'packets') return { kind: aggregate };
  const m = /^distinct:([a-z_]+)$/.exec(aggregate);
  if (!m)
    throw new RuleError(
      rule,
      `aggregate: expected count, bytes, packets or distinct:<field> (got "${aggregate}")`,
    );
  const of =
    m[1] === 'dstport'
      ? DISTINCT_DSTPORT
      : m[1] === 'dst'
        ? DISTINCT_DST
        : m[1] === 'src'
          ? DISTINCT_SRC
          : distinctColumn(m[1]!);
  return { kind: 'distinct', of };
}

/** Checks a user rule and compiles its filter; throws a RuleError naming the rule and the reason. */
export function compileCustomRule(config: CustomRuleConfig, context: BuildContext): StreamRule {
  const rule = config.id;
  const filter = config.filter ?? {};
  const tests: RowTest[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (!FILTER_KEYS.includes(key))
      throw new RuleError(rule, `filter: unknown field "${key}" (fields: ${FILTER_KEYS.join(', ')})`);
    tests.push(compileTest(rule, key, value));
  }
  if (config.groupBy.length === 0) throw new RuleError(rule, 'group_by: name at least one field');
  const key = config.groupBy.map((name) => keyPart(rule, name));
  const select: RowSelector = (v, rows) => {
    let m = 0;
    outer: for (let i = 0; i < v.n; i++) {
      for (let k = 0; k < tests.length; k++) if (!tests[k]!(v, i)) continue outer;
      rows[m++] = i;
    }
    return m;
  };
  return new GroupRule({
    info: customInfo(config),
    select,
    key,
    measure: measure(rule, config.aggregate),
    threshold: config.threshold,
    maxGroups: context.maxGroups,
  });
}

export function customInfo(config: CustomRuleConfig): RuleInfo {
  return {
    id: config.id,
    title: config.title,
    severity: config.severity,
    mitre: config.mitre,
    groupBy: config.sql ? ['key'] : config.groupBy,
    windowSeconds: config.window,
    settings: config.sql
      ? { sql: config.sql, window: config.window, threshold: config.threshold }
      : {
          filter: config.filter ?? {},
          aggregate: config.aggregate,
          window: config.window,
          threshold: config.threshold,
        },
    scope: config.sql ? 'store' : 'stream',
  };
}

/** Reads one entry of the config file's `custom` list. */
export function parseCustomRule(raw: unknown, index: number): CustomRuleConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new RuleError(`custom[${index}]`, 'expected an object');
  const r = raw as Record<string, unknown>;
  const id = typeof r.id === 'string' && /^[a-z0-9][a-z0-9._-]*$/i.test(r.id) ? r.id : null;
  if (!id) throw new RuleError(`custom[${index}]`, 'id: expected a name of letters, digits, . _ -');
  const known = [
    'id',
    'title',
    'severity',
    'mitre',
    'window',
    'threshold',
    'filter',
    'group_by',
    'aggregate',
    'sql',
  ];
  for (const k of Object.keys(r))
    if (!known.includes(k)) throw new RuleError(id, `unknown setting "${k}" (settings: ${known.join(', ')})`);
  const severity = (r.severity ?? 'medium') as Severity;
  if (!SEVERITIES.includes(severity))
    throw new RuleError(id, `severity: expected one of ${SEVERITIES.join(', ')}`);
  const window = r.window ?? 600;
  if (typeof window !== 'number' || !Number.isInteger(window) || window < 1)
    throw new RuleError(id, 'window: expected whole seconds ≥ 1');
  const threshold = r.threshold ?? 1;
  if (typeof threshold !== 'number' || !(threshold > 0))
    throw new RuleError(id, 'threshold: expected a number > 0');
  const sql = r.sql;
  if (sql !== undefined && (typeof sql !== 'string' || sql.trim() === ''))
    throw new RuleError(id, 'sql: expected a query');
  if (sql !== undefined && (r.filter !== undefined || r.group_by !== undefined || r.aggregate !== undefined))
    throw new RuleError(id, 'a rule has either sql or filter/group_by/aggregate, not both');
  const groupBy = r.group_by === undefined ? [] : Array.isArray(r.group_by) ? r.group_by : [r.group_by];
  if (!groupBy.every((g) => typeof g === 'string')) throw new RuleError(id, 'group_by: expected field names');
  if (sql === undefined && groupBy.length === 0)
    throw new RuleError(id, 'group_by: name at least one field (or give sql)');
  if (
    r.filter !== undefined &&
    (typeof r.filter !== 'object' || r.filter === null || Array.isArray(r.filter))
  )
    throw new RuleError(id, 'filter: expected an object of field: value');
  const aggregate = r.aggregate ?? 'count';
  if (typeof aggregate !== 'string') throw new RuleError(id, 'aggregate: expected text');
  return {
    id,
    title: typeof r.title === 'string' ? r.title : id,
    severity,
    mitre: typeof r.mitre === 'string' ? r.mitre : '',
    window,
    threshold,
    ...(r.filter !== undefined ? { filter: r.filter as Record<string, unknown> } : {}),
    groupBy: groupBy as string[],
    aggregate,
    ...(typeof sql === 'string' ? { sql } : {}),
  };
}
