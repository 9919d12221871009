import type { Rng } from './random.js';
import { F, type FlowRecord, RecordStatus } from './record.js';
import type { Eni, Topology } from './topology.js';
import { RECORDS_PER_WINDOW, type TrafficModel } from './traffic.js';

/** One injected attack and the alert it must raise: rule, grouping key, and the window it falls in. */
export interface ScenarioTruth {
  readonly scenario: string;
  readonly rule: string;
  readonly key: string;
  /** The aggregation window the records are in (ISO 8601, UTC), end exclusive. */
  readonly from: string;
  readonly to: string;
  readonly records: number;
}

const TCP = 6;
const UDP = 17;
const GRE = 47;

/** Public addresses the attacks come from or go to (fixed, so the truth is readable). */
export const ATTACK_ADDRESSES = {
  verticalScanner: '45.155.205.17',
  sshIntruder: '185.220.101.33',
  databaseProbe: '92.63.197.48',
  miningPool: '141.94.96.71',
  publicResolver: '8.8.8.8',
  exfilTarget: '5.188.86.20',
  /** 175.45.176.0/22: a country no background peer is in. */
  newCountryPeer: '175.45.176.10',
  newCountry: 'KP',
  /**
   * a.root-servers.net: AS 397203 (US) in the embedded ip-location-db ASN table; a /24, which
   * random background peers practically never fall in, of a country they do.
   */
  newAsPeer: '198.41.0.4',
  newAs: 397203,
  greTunnel: '62.210.16.61',
  imds: '169.254.169.254',
} as const;

interface Scenario {
  readonly name: string;
  readonly rule: string;
  readonly key: string;
  readonly records: number;
  /** Fills record k (0-based) of the scenario into the model's record. */
  fill(k: number): void;
}

/**
 * Injects labelled attacks into the background traffic: each scenario replaces the first
 * records of one aggregation window in the second half of the run (one window apart, the
 * new-peer scenarios last so the learning period is as long as the run allows), and its
 * truth says which rule must fire for which key in that window.
 */
export class AttackInjector {
  private readonly scenarios: Scenario[];
  /** Per scenario, the window index it occupies. */
  private readonly windows: number[];
  readonly truth: ScenarioTruth[] = [];

  constructor(
    private readonly model: TrafficModel,
    rec: FlowRecord,
    rng: Rng,
    topo: Topology,
    totalRecords: number,
    private readonly interval: number,
  ) {
    this.scenarios = buildScenarios(model, rec, rng, topo);
    const totalWindows = Math.floor(totalRecords / RECORDS_PER_WINDOW);
    const needed = 2 * this.scenarios.length + 1;
    if (totalWindows < needed) {
      throw new Error(
        `--attacks needs at least ${needed * RECORDS_PER_WINDOW} records (${needed} aggregation windows of ${RECORDS_PER_WINDOW} records)`,
      );
    }
    const first = Math.max(Math.floor(totalWindows / 2), 1);
    const step = Math.max(1, Math.floor((totalWindows - 1 - first) / this.scenarios.length));
    this.windows = this.scenarios.map((_, j) => first + j * step);
  }

  /** Fills record `index` (0-based over the run) when it belongs to a scenario; false otherwise. */
  fill(index: number): boolean {
    const window = Math.floor(index / RECORDS_PER_WINDOW);
    const j = this.windows.indexOf(window);
    if (j < 0) return false;
    const k = index - window * RECORDS_PER_WINDOW;
    const s = this.scenarios[j]!;
    if (k >= s.records) return false;
    const start = this.model.tick();
    this.model.reset();
    s.fill(k);
    if (k === 0) {
      this.truth.push({
        scenario: s.name,
        rule: s.rule,
        key: s.key,
        from: new Date(start * 1000).toISOString(),
        to: new Date((start + this.interval) * 1000).toISOString(),
        records: s.records,
      });
    }
    return true;
  }
}

function roleOf(topo: Topology, role: Parameters<Topology['byRole']['get']>[0], k = 0): Eni {
  const list = topo.byRole.get(role) ?? [];
  const eni = list[k % Math.max(list.length, 1)];
  if (!eni) throw new Error(`--attacks: the estate has no ${role} interface`);
  return eni;
}

function buildScenarios(model: TrafficModel, rec: FlowRecord, rng: Rng, topo: Topology): Scenario[] {
  const A = ATTACK_ADDRESSES;
  const web = roleOf(topo, 'web');
  const web2 = roleOf(topo, 'web', 1);
  const bastion = roleOf(topo, 'bastion');
  const db = roleOf(topo, 'db');
  const scanner = roleOf(topo, 'app', 0);
  const miner = roleOf(topo, 'app', 1);
  const leaker = roleOf(topo, 'app', 2);
  const ecs = roleOf(topo, 'ecs');
  const dnsUser = roleOf(topo, 'ecs', 1);
  const tunnel = roleOf(topo, 'app', 4);
  const skipping = roleOf(topo, 'db', 1);
  const traveller = roleOf(topo, 'ecs', 2);
  const roamer = roleOf(topo, 'app', 3);
  /** Distinct ports for the vertical scan: the low ports first, as scanners try them. */
  const scanPorts = Array.from({ length: 150 }, (_, k) => (k < 100 ? k + 1 : 1000 + k * 37));
  const sub = scanner.ipv4.split('.').slice(0, 2).join('.');
  const egress = (
    eni: Eni,
    dst: string,
    dport: number,
    protocol: number,
    packets: number,
    bytes: number,
  ): void => {
    model.onEni(eni);
    if (protocol === TCP) model.tcp(eni.ipv4, dst, model.ephemeral(), dport, 'egress', true, 3, packets, 0);
    else model.flow(eni.ipv4, dst, model.ephemeral(), dport, protocol, 'egress', true, packets, bytes);
    if (protocol === TCP) rec.num[F.bytes] = bytes;
    if (protocol !== TCP) rec.num[F.tcpFlags] = 0;
  };
  return [
    {
      name: 'vertical port scan',
      rule: 'port-scan-vertical',
      key: `${A.verticalScanner}|${web.ipv4}`,
      records: scanPorts.length,
      fill(k) {
        model.onEni(web);
        const open = scanPorts[k] === web.servicePort;
        model.tcp(
          A.verticalScanner,
          web.ipv4,
          rng.range(1024, 65535),
          scanPorts[k]!,
          'ingress',
          open,
          2,
          1,
          60,
        );
      },
    },
    {
      name: 'horizontal port scan from a compromised instance',
      rule: 'port-scan-horizontal',
      key: `${scanner.ipv4}|445`,
      records: 80,
      fill(k) {
        model.onEni(scanner);
        model.tcp(
          scanner.ipv4,
          `${sub}.${200 + (k >> 6)}.${(k & 63) + 1}`,
          model.ephemeral(),
          445,
          'egress',
          true,
          2,
          1,
          60,
        );
      },
    },
    {
      name: 'SSH accepted from the internet',
      rule: 'admin-port-exposed',
      key: `${bastion.ipv4}|22`,
      records: 12,
      fill() {
        model.onEni(bastion);
        model.tcp(A.sshIntruder, bastion.ipv4, model.ephemeral(), 22, 'ingress', true, 3, 40, 0);
      },
    },
    {
      name: 'database port reachable from the internet',
      rule: 'database-exposed',
      key: `${db.ipv4}|${db.servicePort}`,
      records: 8,
      fill() {
        model.onEni(db);
        model.tcp(A.databaseProbe, db.ipv4, model.ephemeral(), db.servicePort, 'ingress', true, 3, 12, 2);
      },
    },
    {
      name: 'mining-pool egress',
      rule: 'mining-pool',
      key: miner.ipv4,
      records: 20,
      fill: () => egress(miner, A.miningPool, 3333, TCP, 30, 30 * 180),
    },
    {
      name: 'DNS to a public resolver',
      rule: 'dns-unapproved-resolver',
      key: `${dnsUser.ipv4}|${A.publicResolver}`,
      records: 30,
      fill: () => egress(dnsUser, A.publicResolver, 53, UDP, 2, 140),
    },
    {
      name: 'exfiltration burst',
      rule: 'egress-volume',
      key: leaker.id,
      records: 40,
      fill: () => egress(leaker, A.exfilTarget, 443, TCP, 100_000, 150_000_000),
    },
    {
      name: 'reject storm',
      rule: 'reject-spike-interface',
      key: web2.id,
      records: 1200,
      fill(k) {
        model.onEni(web2);
        const src = `${23 + (k % 7)}.${(k * 13) & 255}.${(k >> 3) & 255}.${(k % 200) + 1}`;
        model.tcp(src, web2.ipv4, rng.range(1024, 65535), 443, 'ingress', false, 2, 1, 60);
      },
    },
    {
      name: 'unusual protocol (GRE) accepted',
      rule: 'unusual-protocol',
      key: `${tunnel.id}|${GRE}`,
      records: 6,
      fill: () => egress(tunnel, A.greTunnel, 0, GRE, 500, 500 * 600),
    },
    {
      name: 'instance metadata through a non-local path',
      rule: 'imds-non-local',
      key: `${ecs.id}|${ecs.ipv4}`,
      records: 4,
      fill: () => egress(ecs, A.imds, 80, TCP, 6, 900),
    },
    {
      name: 'skipped records',
      rule: 'data-loss-skipdata',
      key: skipping.id,
      records: 5,
      fill() {
        model.onEni(skipping);
        model.flow(skipping.ipv4, skipping.ipv4, 0, 0, TCP, 'egress', true, 1, 0);
        for (const f of [F.srcaddr, F.dstaddr, F.pktSrcaddr, F.pktDstaddr, F.action, F.flowDirection])
          rec.str[f] = null;
        for (const f of [F.srcport, F.dstport, F.protocol, F.packets, F.bytes, F.tcpFlags])
          rec.num[f] = Number.NaN;
        rec.status = RecordStatus.SkipData;
        rec.accept = false;
        rec.str[F.logStatus] = 'SKIPDATA';
      },
    },
    {
      name: 'peer in a new autonomous system',
      rule: 'new-peer-asn',
      key: `${roamer.id}|${A.newAs}`,
      records: 10,
      fill: () => egress(roamer, A.newAsPeer, 443, TCP, 20, 20 * 700),
    },
    {
      name: 'peer in a new country',
      rule: 'new-peer-country',
      key: `${traveller.id}|${A.newCountry}`,
      records: 10,
      fill: () => egress(traveller, A.newCountryPeer, 443, TCP, 20, 20 * 700),
    },
  ];
}
