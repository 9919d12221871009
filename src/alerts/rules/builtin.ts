import { type Cidr, cidrBasePlus, inCidr, parseCidr } from '../cidr.js';
import { RuleError, type RuleInfo, type Severity } from '../types.js';
import { ACTION_ACCEPT, ACTION_REJECT, type BatchView, STATUS_SKIPDATA } from '../view.js';
import {
  type BaselineSource,
  GroupRule,
  type GroupRuleSpec,
  type GroupTotals,
  type Measure,
  type RowSelector,
} from './group-rule.js';
import { newPeerRule } from './new-peer.js';
import {
  DISTINCT_DST,
  DISTINCT_DSTPORT,
  DST,
  DSTPORT,
  INTERFACE,
  type KeyPart,
  PROTOCOL,
  SRC,
} from './parts.js';
import type { StreamRule } from './rule.js';
import { num, numbers, portTable, type Settings, texts } from './settings.js';

const TCP = 6;
const UDP = 17;
/** The view's code for a row without a port, and without a protocol. */
const NO_PORT = 65536;
const NO_PROTOCOL = 256;

/** What building a rule may use besides its settings. */
export interface BuildContext {
  /** Groups one window of one rule may hold. */
  readonly maxGroups: number;
  /** Baselines from the store, where the rules run beside one (backtests). */
  readonly baseline?: BaselineSource;
  /** Wall-clock now in Unix seconds (delivery lag). */
  now(): number;
}

/** A detection flowlens ships: identity, documented defaults, and how to build it. */
export interface BuiltinRule {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly mitre: string;
  readonly groupBy: readonly string[];
  /** Whether it runs when the config file does not mention it. */
  readonly enabled: boolean;
  /** `window` (seconds) and `threshold` plus the rule's own settings. */
  readonly defaults: Settings;
  /** One sentence: what it finds. */
  readonly summary: string;
  build(settings: Settings, info: RuleInfo, context: BuildContext): StreamRule;
}

function group(
  info: RuleInfo,
  context: BuildContext,
  select: RowSelector,
  key: readonly KeyPart[],
  measure: Measure,
  threshold: number,
  describe?: GroupRuleSpec['describe'],
  baselineFactor?: number,
): StreamRule {
  return new GroupRule({
    info,
    select,
    key,
    measure,
    threshold,
    maxGroups: context.maxGroups,
    ...(describe ? { describe } : {}),
    ...(baselineFactor !== undefined && context.baseline
      ? { baseline: { factor: baselineFactor, source: context.baseline } }
      : {}),
  });
}

/** TCP or UDP rows on the initiator's side, or rejected: what a scan leaves in flow logs. */
function probes(v: BatchView, rows: Uint32Array): number {
  // both scan rules start from these rows: found once per batch
  const found = v.memo('probes', () => {
    const out = new Uint32Array(v.n);
    let m = 0;
    const { protoCode, forward, action, dportCode } = v;
    for (let i = 0; i < v.n; i++) {
      const p = protoCode[i]!;
      if ((p !== TCP && p !== UDP) || dportCode[i] === NO_PORT) continue;
      if (forward[i] === 1 || action[i] === ACTION_REJECT) out[m++] = i;
    }
    return out.subarray(0, m);
  });
  rows.set(found);
  return found.length;
}

/** Scan confidence: high when most rows were bare SYNs or rejected (no answer). */
function scanConfidence(g: GroupTotals): Record<string, unknown> {
  return { attempts: g.attempts, confidence: g.attempts * 2 >= g.count ? 'high' : 'medium' };
}

/** Accepted rows from a public address to a local one on one of `ports`, from the client side. */
function exposedSelector(ports: Uint8Array): RowSelector {
  return (v, rows) => {
    let m = 0;
    const { action, forward, dportCode, srcId, dstId, publicId, localId } = v;
    for (let i = 0; i < v.n; i++) {
      // the port first: it turns away nearly every row
      if (ports[dportCode[i]!] !== 1 || action[i] !== ACTION_ACCEPT || forward[i] !== 1) continue;
      if (publicId[srcId[i]!] === 1 && localId[dstId[i]!] === 1) rows[m++] = i;
    }
    return m;
  };
}

/** Accepted rows from a local address to a public one (egress that leaves the VPC), client side on `ports`. */
function egressSelector(ports: Uint8Array | null): RowSelector {
  if (ports !== null) {
    return (v, rows) => {
      let m = 0;
      const clients = v.egressClients();
      const dportCode = v.dportCode;
      for (let k = 0; k < clients.length; k++) {
        const i = clients[k]!;
        if (ports[dportCode[i]!] === 1) rows[m++] = i;
      }
      return m;
    };
  }
  return (v, rows) => {
    let m = 0;
    const action = v.action;
    const egress = v.egress();
    for (let i = 0; i < v.n; i++) if (egress[i] === 1 && action[i] === ACTION_ACCEPT) rows[m++] = i;
    return m;
  };
}

const ADMIN_PORTS = [22, 23, 445, 3389, 5900, 5985, 5986];
const DATABASE_PORTS = [
  1433, 1521, 2379, 3306, 5432, 5984, 6379, 7000, 7001, 8086, 9042, 9200, 9300, 11211, 27017, 27018, 28015,
];
const MINING_PORTS = [3333, 3334, 3335, 3336, 3357, 4444, 5555, 6666, 7777, 9999, 14433, 14444, 45560, 45700];
const STANDARD_PROTOCOLS = [1, 6, 17, 58];

/** The resolvers the DNS rule approves: the Route 53 Resolver addresses plus configured ones. */
function resolverMatcher(rule: string, s: Settings): (v: BatchView, id: number) => boolean {
  const exact = new Set<string>(['169.254.169.253', 'fd00:ec2::253']);
  for (const r of texts(s, 'resolvers')) {
    const c = parseCidr(r);
    if (!c) throw new RuleError(rule, `resolvers: "${r}" is not an IP address or CIDR`);
    if (c.bits === (c.family === 4 ? 32 : 128)) exact.add(r);
  }
  const prefixes: Cidr[] = [];
  for (const r of texts(s, 'resolvers')) {
    const c = parseCidr(r)!;
    if (c.bits < (c.family === 4 ? 32 : 128)) prefixes.push(c);
  }
  const cidrs = texts(s, 'vpc_cidrs');
  for (const text of cidrs) {
    const c = parseCidr(text);
    if (c?.family !== 4) throw new RuleError(rule, `vpc_cidrs: "${text}" is not an IPv4 CIDR`);
    exact.add(cidrBasePlus(c, 2));
  }
  const guessVpcResolver = cidrs.length === 0;
  return (v, id) => {
    const text = v.table.values[id] ?? '';
    if (exact.has(text)) return true;
    const t = v.table;
    for (const c of prefixes) if (inCidr(c, t.family[id]!, t.words, 4 * id)) return true;
    // Without configured VPC CIDRs: x.y.0.2 in a private range, the resolver of a /16 VPC.
    return guessVpcResolver && t.family[id] === 4 && v.localId[id] === 1 && (t.words[4 * id]! & 0xffff) === 2;
  };
}

function dnsSelector(rule: string, s: Settings): RowSelector {
  const approved = resolverMatcher(rule, s);
  const dnsPorts = portTable(numbers(s, 'ports'));
  const tlsPorts = portTable(numbers(s, 'tls_ports'));
  return (v, rows) => {
    let m = 0;
    const verdict = new Uint8Array(v.table.values.length);
    const { protoCode, dportCode, forward, srcId, dstId, localId } = v;
    for (let i = 0; i < v.n; i++) {
      const p = dportCode[i]!;
      if (forward[i] !== 1 || p === NO_PORT) continue;
      const pr = protoCode[i]!;
      const dns = (pr === UDP || pr === TCP) && dnsPorts[p] === 1;
      if (!dns && !(pr === TCP && tlsPorts[p] === 1)) continue;
      if (localId[srcId[i]!] !== 1) continue;
      const d = dstId[i]!;
      if (d === 0) continue;
      let ok = verdict[d]!;
      if (ok === 0) {
        ok = approved(v, d) ? 1 : 2;
        verdict[d] = ok;
      }
      if (ok === 2) rows[m++] = i;
    }
    return m;
  };
}

function actionSelector(action: number): RowSelector {
  return (v, rows) => {
    let m = 0;
    const a = v.action;
    for (let i = 0; i < v.n; i++) if (a[i] === action) rows[m++] = i;
    return m;
  };
}

function peerSettings(s: Settings): { learningSeconds: number; threshold: number; maxPeers: number } {
  return {
    learningSeconds: num(s, 'learning_seconds'),
    threshold: num(s, 'threshold'),
    maxPeers: num(s, 'max_peers'),
  };
}

const IMDS = new Set(['169.254.169.254', 'fd00:ec2::254']);

export const BUILTIN_RULES: readonly BuiltinRule[] = [
  {
    id: 'port-scan-vertical',
    title: 'Vertical port scan',
    severity: 'medium',
    mitre: 'T1046',
    groupBy: ['src', 'dst'],
    enabled: true,
    defaults: { window: 600, threshold: 25 },
    summary: 'One source reaches many destination ports of one host',
    build: (s, info, c) =>
      group(
        info,
        c,
        probes,
        [SRC, DST],
        { kind: 'distinct', of: DISTINCT_DSTPORT },
        num(s, 'threshold'),
        scanConfidence,
      ),
  },
  {
    id: 'port-scan-horizontal',
    title: 'Horizontal port scan',
    severity: 'medium',
    mitre: 'T1046',
    groupBy: ['src', 'dstport'],
    enabled: true,
    defaults: { window: 600, threshold: 25, public_ignore_ports: [80, 443] },
    summary:
      'One source reaches many hosts on one port (web ports to public hosts left out: that is browsing)',
    build: (s, info, c) => {
      const ignored = portTable(numbers(s, 'public_ignore_ports'));
      const select: RowSelector = (v, rows) => {
        const m = probes(v, rows);
        let kept = 0;
        for (let k = 0; k < m; k++) {
          const i = rows[k]!;
          if (ignored[v.dportCode[i]!] === 1 && v.publicId[v.dstId[i]!] === 1) continue;
          rows[kept++] = i;
        }
        return kept;
      };
      return group(
        info,
        c,
        select,
        [SRC, DSTPORT],
        { kind: 'distinct', of: DISTINCT_DST },
        num(s, 'threshold'),
        scanConfidence,
      );
    },
  },
  {
    id: 'admin-port-exposed',
    title: 'Admin port reachable from the internet',
    severity: 'high',
    mitre: 'T1133',
    groupBy: ['dst', 'dstport'],
    enabled: true,
    defaults: { window: 3600, threshold: 1, ports: ADMIN_PORTS },
    summary: 'Accepted inbound connections from public addresses to SSH, Telnet, SMB, RDP, VNC or WinRM',
    build: (s, info, c) =>
      group(
        info,
        c,
        exposedSelector(portTable(numbers(s, 'ports'))),
        [DST, DSTPORT],
        { kind: 'count' },
        num(s, 'threshold'),
      ),
  },
  {
    id: 'database-exposed',
    title: 'Database or cache reachable from the internet',
    severity: 'high',
    mitre: 'T1190',
    groupBy: ['dst', 'dstport'],
    enabled: true,
    defaults: { window: 3600, threshold: 1, ports: DATABASE_PORTS },
    summary: 'Accepted inbound connections from public addresses to common database and cache ports',
    build: (s, info, c) =>
      group(
        info,
        c,
        exposedSelector(portTable(numbers(s, 'ports'))),
        [DST, DSTPORT],
        { kind: 'count' },
        num(s, 'threshold'),
      ),
  },
  {
    id: 'mining-pool',
    title: 'Crypto-mining pool traffic',
    severity: 'high',
    mitre: 'T1496',
    groupBy: ['src'],
    enabled: true,
    defaults: { window: 3600, threshold: 1, ports: MINING_PORTS },
    summary: 'Accepted egress to well-known mining pool (Stratum) ports',
    build: (s, info, c) =>
      group(
        info,
        c,
        egressSelector(portTable(numbers(s, 'ports'))),
        [SRC],
        { kind: 'count' },
        num(s, 'threshold'),
      ),
  },
  {
    id: 'dns-unapproved-resolver',
    title: 'DNS to a non-approved resolver',
    severity: 'medium',
    mitre: 'T1071.004',
    groupBy: ['src', 'dst'],
    enabled: true,
    defaults: { window: 3600, threshold: 1, ports: [53], tls_ports: [853], resolvers: [], vpc_cidrs: [] },
    summary: 'DNS (53) or DNS over TLS (853) from inside to a resolver outside the allow-list',
    build: (s, info, c) =>
      group(info, c, dnsSelector(info.id, s), [SRC, DST], { kind: 'count' }, num(s, 'threshold')),
  },
  {
    id: 'reject-spike-interface',
    title: 'Spike of rejected traffic on an interface',
    severity: 'medium',
    mitre: 'T1498',
    groupBy: ['interface'],
    enabled: true,
    defaults: { window: 600, threshold: 500, baseline_factor: 5, baseline_days: 7 },
    summary: 'Rejected records per interface above a threshold (and k × its baseline when the store has one)',
    build: (s, info, c) =>
      group(
        info,
        c,
        actionSelector(ACTION_REJECT),
        [INTERFACE],
        { kind: 'count' },
        num(s, 'threshold'),
        undefined,
        num(s, 'baseline_factor'),
      ),
  },
  {
    id: 'reject-spike-source',
    title: 'Spike of rejected traffic from one source',
    severity: 'medium',
    mitre: 'T1498',
    groupBy: ['src'],
    enabled: true,
    defaults: { window: 600, threshold: 200, baseline_factor: 5, baseline_days: 7 },
    summary:
      'Rejected records per source address above a threshold (and k × its baseline when the store has one)',
    build: (s, info, c) =>
      group(
        info,
        c,
        actionSelector(ACTION_REJECT),
        [SRC],
        { kind: 'count' },
        num(s, 'threshold'),
        undefined,
        num(s, 'baseline_factor'),
      ),
  },
  {
    id: 'egress-volume',
    title: 'Unusual egress volume (possible exfiltration)',
    severity: 'high',
    mitre: 'T1048',
    groupBy: ['interface'],
    enabled: true,
    defaults: { window: 3600, threshold: 1024 ** 3, baseline_factor: 5, baseline_days: 7 },
    summary:
      'Bytes to public addresses per interface above a threshold (and k × its baseline when the store has one)',
    build: (s, info, c) =>
      group(
        info,
        c,
        egressSelector(null),
        [INTERFACE],
        { kind: 'bytes' },
        num(s, 'threshold'),
        undefined,
        num(s, 'baseline_factor'),
      ),
  },
  {
    id: 'new-peer-country',
    title: 'New external peer country',
    severity: 'low',
    mitre: 'T1071',
    groupBy: ['interface', 'country'],
    enabled: true,
    defaults: { window: 3600, threshold: 5, learning_seconds: 86400, max_peers: 300 },
    summary: 'An interface opens connections to a country it did not talk to in its learning period',
    build: (s, info, c) => newPeerRule('country', info, c, peerSettings(s)),
  },
  {
    id: 'new-peer-asn',
    title: 'New external peer AS',
    severity: 'low',
    mitre: 'T1071',
    groupBy: ['interface', 'asn'],
    enabled: true,
    defaults: { window: 3600, threshold: 5, learning_seconds: 86400, max_peers: 2000 },
    summary:
      'An interface opens connections to an autonomous system it did not talk to in its learning period',
    build: (s, info, c) => newPeerRule('asn', info, c, peerSettings(s)),
  },
  {
    id: 'unusual-protocol',
    title: 'Unusual IP protocol accepted',
    severity: 'low',
    mitre: 'T1095',
    groupBy: ['interface', 'protocol'],
    enabled: true,
    defaults: { window: 3600, threshold: 1, allowed_protocols: STANDARD_PROTOCOLS },
    summary: 'Accepted traffic of a protocol other than TCP, UDP, ICMP and ICMPv6',
    build: (s, info, c) => {
      const allowed = new Uint8Array(257);
      for (const p of numbers(s, 'allowed_protocols')) if (p <= 256) allowed[p] = 1;
      const select: RowSelector = (v, rows) => {
        let m = 0;
        const { action, protoCode } = v;
        for (let i = 0; i < v.n; i++) {
          const p = protoCode[i]!;
          if (action[i] === ACTION_ACCEPT && p !== NO_PROTOCOL && allowed[p] !== 1) rows[m++] = i;
        }
        return m;
      };
      return group(info, c, select, [INTERFACE, PROTOCOL], { kind: 'count' }, num(s, 'threshold'));
    },
  },
  {
    id: 'imds-non-local',
    title: 'Instance metadata reached through a non-local path',
    severity: 'high',
    mitre: 'T1552.005',
    groupBy: ['interface', 'src'],
    enabled: true,
    defaults: { window: 3600, threshold: 1 },
    summary: 'Traffic to the instance metadata service shows up in flow logs (local IMDS calls never do)',
    build: (s, info, c) => {
      const select: RowSelector = (v, rows) => {
        let m = 0;
        // per address id of the batch: 0 not yet looked at, 1 the IMDS, 2 another address
        const imds = new Uint8Array(v.table.values.length);
        const { dstId, localId } = v;
        for (let i = 0; i < v.n; i++) {
          const d = dstId[i]!;
          if (localId[d] !== 1) continue;
          if (imds[d] === 0) imds[d] = IMDS.has(v.table.values[d]!) ? 1 : 2;
          if (imds[d] === 1) rows[m++] = i;
        }
        return m;
      };
      return group(info, c, select, [INTERFACE, SRC], { kind: 'count' }, num(s, 'threshold'));
    },
  },
  {
    id: 'data-loss-skipdata',
    title: 'Flow-log records skipped (SKIPDATA)',
    severity: 'medium',
    mitre: 'T1562.008',
    groupBy: ['interface'],
    enabled: true,
    defaults: { window: 3600, threshold: 1 },
    summary: 'AWS could not capture records of an interface during an aggregation interval',
    build: (s, info, c) => {
      const select: RowSelector = (v, rows) => {
        let m = 0;
        for (let i = 0; i < v.n; i++) if (v.status[i] === STATUS_SKIPDATA) rows[m++] = i;
        return m;
      };
      return group(info, c, select, [INTERFACE], { kind: 'count' }, num(s, 'threshold'));
    },
  },
  {
    id: 'data-loss-lag',
    title: 'Flow-log delivery lag',
    severity: 'low',
    mitre: 'T1562.008',
    groupBy: ['interface'],
    enabled: false,
    defaults: { window: 600, threshold: 1, lag_seconds: 1800 },
    summary:
      'Records arrive more than lag_seconds after their end time (off by default: backfills always lag)',
    build: (s, info, c) => {
      const lag = num(s, 'lag_seconds');
      const select: RowSelector = (v, rows) => {
        let m = 0;
        const limit = c.now() - lag;
        for (let i = 0; i < v.n; i++) if (v.time[i]! < limit) rows[m++] = i;
        return m;
      };
      return group(info, c, select, [INTERFACE], { kind: 'count' }, num(s, 'threshold'));
    },
  },
];

/** The data-loss rule fed by the run's malformed-line counts rather than by records. */
export const MALFORMED_RULE = {
  id: 'data-loss-malformed',
  title: 'Malformed flow-log lines',
  severity: 'medium' as Severity,
  mitre: 'T1562.008',
  groupBy: ['source'],
  enabled: true,
  defaults: { window: 0, threshold: 0.01, min_lines: 10 } as Settings,
  summary: 'The share of malformed lines of one input reaches the threshold (a fraction)',
};
