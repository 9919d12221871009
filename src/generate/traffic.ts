import { type Rng, WeightedTable, ZipfTable } from './random.js';
import { F, type FlowRecord, RecordStatus } from './record.js';
import type { Eni, EniRole, Topology, Vpc } from './topology.js';

/**
 * The traffic model: each call to `next` fills the shared FlowRecord with one flow-log record
 * drawn from a mix of realistic flows (inbound web, NAT egress, east-west, AWS services, DNS,
 * scanners, ICMP, NODATA/SKIPDATA). Everything is drawn from the seeded Rng, so a run is
 * reproducible record for record.
 */

type Kind =
  | 'inbound-web'
  | 'outbound'
  | 'nat'
  | 'east-west'
  | 'aws-service'
  | 'dns'
  | 'ntp'
  | 'ssh'
  | 'scan'
  | 'icmp'
  | 'endpoint'
  | 'nodata'
  | 'skipdata';

const VPC_KINDS = new WeightedTable<Kind>([
  ['inbound-web', 24],
  ['outbound', 9],
  ['nat', 10],
  ['east-west', 20],
  ['aws-service', 8],
  ['dns', 4],
  ['ntp', 1],
  ['ssh', 2],
  ['scan', 10],
  ['icmp', 3],
  ['endpoint', 2],
  ['nodata', 1.5],
  ['skipdata', 0.3],
]);

/**
 * The clean mix (`--attacks`, `--clean`): the same estate without what the detection rules are
 * meant to find in it: no internet scanners, no skipped records, DNS through the VPC resolver
 * and SSH only from the administrators' private (VPN) addresses.
 */
const CLEAN_KINDS = new WeightedTable<Kind>([
  ['inbound-web', 24],
  ['outbound', 9],
  ['nat', 10],
  ['east-west', 20],
  ['aws-service', 8],
  ['dns', 4],
  ['ntp', 1],
  ['ssh', 2],
  ['icmp', 3],
  ['endpoint', 2],
  ['nodata', 1.5],
]);

/** Flags OR-ed over the interval as the initiator's packets show them (ACK/PSH alone log as 0). */
const CLIENT_FLAGS = new WeightedTable<number>([
  [3, 40],
  [2, 18],
  [0, 25],
  [1, 12],
  [4, 5],
]);
/** Flags of the responder's packets: SYN-ACK 18, SYN-ACK+FIN 19. */
const SERVER_FLAGS = new WeightedTable<number>([
  [19, 40],
  [18, 20],
  [0, 25],
  [1, 12],
  [4, 3],
]);

const SCAN_PORTS = [
  22, 23, 80, 443, 445, 3389, 3306, 5432, 6379, 8080, 8443, 25, 21, 1433, 5900, 9200, 27017, 11211, 2375, 53,
];

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMPV6 = 58;

export interface TrafficOptions {
  readonly startTime: number;
  readonly interval: number;
  readonly versionValue: number;
  /** Transit Gateway records instead of VPC records. */
  readonly tgw: boolean;
  /** The clean mix (see CLEAN_KINDS). */
  readonly clean?: boolean;
}

/** Records per aggregation window: the clock moves one interval every this many records. */
export const RECORDS_PER_WINDOW = 2000;

export class TrafficModel {
  private index = 0;
  private windowStart: number;
  private readonly peerZipf: ZipfTable;
  private readonly scannerZipf: ZipfTable;
  private readonly serviceZipf: ZipfTable;
  private readonly web: Eni[];
  private readonly clients: Eni[];
  private readonly exposed: Eni[];
  private readonly withInstance: Eni[];
  private readonly servers: Eni[];
  private readonly tgwHosts: Eni[];
  /** Per VPC: its client ENIs, and the TGW hosts in the other VPCs (precomputed: no per-record filtering). */
  private readonly clientsByVpc = new Map<Vpc, Eni[]>();
  private readonly tgwPeers = new Map<Vpc, Eni[]>();

  constructor(
    private readonly rng: Rng,
    private readonly topo: Topology,
    private readonly rec: FlowRecord,
    private readonly options: TrafficOptions,
  ) {
    this.windowStart = options.startTime;
    this.peerZipf = new ZipfTable(topo.publicPeers.length, 1.1);
    this.scannerZipf = new ZipfTable(topo.scanners.length, 0.8);
    this.serviceZipf = new ZipfTable(topo.awsServices.length, 1.0);
    const roles = (...r: EniRole[]) => topo.enis.filter((e) => r.includes(e.role));
    this.web = roles('web', 'nlb');
    this.clients = roles('app', 'ecs', 'lambda', 'web');
    this.exposed = topo.enis.filter((e) => e.exposed);
    this.withInstance = topo.enis.filter((e) => e.instanceId !== null || e.ecs !== null);
    this.servers = roles('db', 'cache', 'app');
    this.tgwHosts = roles('app', 'ecs', 'db', 'web');
    for (const vpc of topo.vpcs) {
      this.clientsByVpc.set(
        vpc,
        this.clients.filter((e) => e.vpc === vpc),
      );
      this.tgwPeers.set(
        vpc,
        this.tgwHosts.filter((e) => e.vpc !== vpc),
      );
    }
  }

  /** Moves the clock one record on; returns the start of the record's aggregation window. */
  tick(): number {
    if (this.index > 0 && this.index % RECORDS_PER_WINDOW === 0) this.windowStart += this.options.interval;
    this.index++;
    return this.windowStart;
  }

  /** Clears the record for a new flow: OK, accepted, the run's version. */
  reset(): void {
    const rec = this.rec;
    rec.clear();
    rec.status = RecordStatus.Ok;
    rec.accept = true;
    rec.num[F.version] = this.options.versionValue;
  }

  /** Fills the record with the next flow. */
  next(): void {
    this.tick();
    this.reset();
    if (this.options.tgw) {
      this.tgwFlow();
      return;
    }
    switch ((this.options.clean ? CLEAN_KINDS : VPC_KINDS).draw(this.rng)) {
      case 'inbound-web':
        this.inboundWeb();
        return;
      case 'outbound':
        this.outbound();
        return;
      case 'nat':
        this.natGateway();
        return;
      case 'east-west':
        this.eastWest();
        return;
      case 'aws-service':
        this.awsService();
        return;
      case 'dns':
        this.udpOut(53);
        return;
      case 'ntp':
        this.udpOut(123);
        return;
      case 'ssh':
        this.ssh();
        return;
      case 'scan':
        this.scan();
        return;
      case 'icmp':
        this.icmp();
        return;
      case 'endpoint':
        this.endpoint();
        return;
      case 'nodata':
        this.noTraffic(RecordStatus.NoData);
        return;
      case 'skipdata':
        this.noTraffic(RecordStatus.SkipData);
        return;
    }
  }

  // ---- flow kinds ----

  private inboundWeb(): void {
    const rng = this.rng;
    const eni = rng.pick(this.web);
    const v6 = eni.ipv6 !== null && rng.chance(0.12);
    const client = v6 ? rng.pick(this.topo.publicPeers6) : this.publicPeer();
    const local = v6 ? eni.ipv6! : eni.ipv4;
    const port = eni.servicePort;
    const eph = this.ephemeral();
    this.onEni(eni);
    if (rng.chance(0.02)) {
      // a client the NACL blocks: SYNs only, rejected
      this.tcp(client, local, eph, port, 'ingress', false, 2, rng.range(1, 3), 60);
    } else if (rng.chance(0.5)) {
      this.tcp(client, local, eph, port, 'ingress', true, CLIENT_FLAGS.draw(rng), this.packets(2, 1.5), 0);
    } else {
      this.tcp(local, client, port, eph, 'egress', true, SERVER_FLAGS.draw(rng), this.packets(3, 1.3), 1);
      this.rec.num[F.trafficPath] = rng.chance(0.7) ? 8 : 2;
    }
    this.rec.str[F.type] = v6 ? 'IPv6' : 'IPv4';
    this.rec.num[F.encryptionStatus] = port === 443 ? 2 : 0;
  }

  /** An instance or task calling the internet through its VPC's NAT gateway. */
  private outbound(): void {
    const rng = this.rng;
    const eni = rng.pick(this.clients);
    const peer = this.publicPeer();
    const port = rng.chance(0.85) ? 443 : 80;
    const eph = this.ephemeral();
    this.onEni(eni);
    if (rng.chance(0.5)) {
      this.tcp(eni.ipv4, peer, eph, port, 'egress', true, CLIENT_FLAGS.draw(rng), this.packets(2, 1.5), 0);
      this.rec.num[F.trafficPath] = 1;
      this.nextHop(eni.vpc.natEni);
    } else {
      this.tcp(peer, eni.ipv4, port, eph, 'ingress', true, SERVER_FLAGS.draw(rng), this.packets(3, 1.3), 1);
    }
    this.rec.num[F.encryptionStatus] = port === 443 ? 2 : 0;
  }

  /** Records on a NAT gateway ENI: srcaddr/dstaddr are the NAT's, pkt-* the real endpoints. */
  private natGateway(): void {
    const rng = this.rng;
    const vpc = rng.pick(this.topo.vpcs);
    const nat = vpc.natEni!;
    const inside = rng.pick(this.clientsByVpc.get(vpc)!) ?? nat;
    const peer = this.publicPeer();
    const port = rng.chance(0.85) ? 443 : 80;
    const eph = this.ephemeral();
    this.onEni(nat);
    const rec = this.rec;
    const leg = rng.int(3);
    if (leg === 0) {
      // instance → NAT ENI: the packet is bound for the internet
      this.tcp(
        inside.ipv4,
        nat.ipv4,
        eph,
        port,
        'ingress',
        true,
        CLIENT_FLAGS.draw(rng),
        this.packets(2, 1.5),
        0,
      );
      rec.str[F.pktDstaddr] = peer;
    } else if (leg === 1) {
      // NAT ENI → internet, translated
      this.tcp(nat.ipv4, peer, eph, port, 'egress', true, CLIENT_FLAGS.draw(rng), this.packets(2, 1.5), 0);
      rec.str[F.pktSrcaddr] = inside.ipv4;
      rec.num[F.trafficPath] = 8;
    } else {
      // internet → NAT ENI: the reply, on its way back to the instance
      this.tcp(peer, nat.ipv4, port, eph, 'ingress', true, SERVER_FLAGS.draw(rng), this.packets(3, 1.3), 1);
      rec.str[F.pktDstaddr] = inside.ipv4;
    }
    rec.num[F.encryptionStatus] = port === 443 ? 2 : 0;
  }

  private eastWest(): void {
    const rng = this.rng;
    const server = rng.pick(this.servers);
    let client = rng.pick(this.clientsByVpc.get(server.vpc)!);
    // a server is never its own client: fall back to another ENI of the estate
    if (client === server || client === undefined)
      client = this.clients[(this.clients.indexOf(server) + 1) % this.clients.length]!;
    const port = server.servicePort;
    const eph = this.ephemeral();
    const onServer = rng.chance(0.5);
    const request = rng.chance(0.5);
    this.onEni(onServer ? server : client);
    let dir: 'ingress' | 'egress' = onServer === request ? 'ingress' : 'egress';
    if (rng.chance(0.01)) {
      // a security group refusing the client: the SYNs, seen on either side
      dir = onServer ? 'ingress' : 'egress';
      this.tcp(client.ipv4, server.ipv4, eph, port, dir, false, 2, rng.range(1, 4), 60);
    } else if (request) {
      this.tcp(
        client.ipv4,
        server.ipv4,
        eph,
        port,
        dir,
        true,
        CLIENT_FLAGS.draw(rng),
        this.packets(4, 1.4),
        2,
      );
    } else {
      this.tcp(
        server.ipv4,
        client.ipv4,
        port,
        eph,
        dir,
        true,
        SERVER_FLAGS.draw(rng),
        this.packets(4, 1.2),
        3,
      );
    }
    if (dir === 'egress') this.rec.num[F.trafficPath] = 1;
    this.rec.num[F.encryptionStatus] = rng.chance(0.8) ? 1 : 3;
  }

  private awsService(): void {
    const rng = this.rng;
    const eni = rng.pick(this.clients);
    const svc = this.topo.awsServices[this.serviceZipf.draw(rng)]!;
    const gateway = svc.service === 'S3' || svc.service === 'DYNAMODB';
    const eph = this.ephemeral();
    this.onEni(eni);
    const rec = this.rec;
    if (rng.chance(0.5)) {
      this.tcp(eni.ipv4, svc.ip, eph, 443, 'egress', true, CLIENT_FLAGS.draw(rng), this.packets(3, 1.3), 3);
      rec.str[F.pktDstAwsService] = svc.service;
      rec.num[F.trafficPath] = gateway ? 7 : 1;
      if (!gateway) this.nextHop(eni.vpc.natEni);
    } else {
      this.tcp(svc.ip, eni.ipv4, 443, eph, 'ingress', true, SERVER_FLAGS.draw(rng), this.packets(3, 1.2), 1);
      rec.str[F.pktSrcAwsService] = svc.service;
    }
    rec.num[F.encryptionStatus] = 2;
  }

  private udpOut(port: number): void {
    const rng = this.rng;
    const eni = rng.pick(this.withInstance);
    const server =
      port !== 53
        ? this.publicPeer()
        : this.options.clean
          ? `10.${eni.vpc.octet}.0.2`
          : rng.pick(this.topo.dnsServers);
    const eph = this.ephemeral();
    const packets = rng.range(1, 6);
    this.onEni(eni);
    if (rng.chance(0.5)) {
      this.flow(eni.ipv4, server, eph, port, UDP, 'egress', true, packets, packets * rng.range(60, 90));
      this.rec.num[F.trafficPath] = 1;
    } else {
      this.flow(server, eni.ipv4, port, eph, UDP, 'ingress', true, packets, packets * rng.range(90, 300));
    }
    this.rec.num[F.tcpFlags] = 0;
    this.rec.num[F.encryptionStatus] = 0;
  }

  private ssh(): void {
    const rng = this.rng;
    const bastion = rng.pick(this.topo.byRole.get('bastion')!);
    this.onEni(bastion);
    const eph = this.ephemeral();
    if (rng.chance(0.5)) {
      const admin = this.options.clean ? `172.20.0.${10 + rng.int(3)}` : rng.pick(this.topo.admins);
      this.tcp(
        admin,
        bastion.ipv4,
        eph,
        22,
        'ingress',
        true,
        CLIENT_FLAGS.draw(rng),
        this.packets(10, 1.2),
        0,
      );
    } else {
      this.tcp(this.publicPeer(), bastion.ipv4, eph, 22, 'ingress', false, 2, rng.range(1, 3), 60);
      this.bpa(0.3);
    }
    this.rec.num[F.encryptionStatus] = 2;
  }

  /** A scanner probing an exposed ENI: mostly SYNs to many ports, rejected. */
  private scan(): void {
    const rng = this.rng;
    const target = rng.pick(this.exposed);
    const scanner = this.topo.scanners[this.scannerZipf.draw(rng)]!;
    const port = rng.chance(0.6) ? rng.pick(SCAN_PORTS) : rng.range(1, 65535);
    const open = port === target.servicePort;
    this.onEni(target);
    const packets = rng.range(1, 2);
    if (rng.chance(0.9)) {
      this.tcp(scanner, target.ipv4, rng.range(1024, 65535), port, 'ingress', open, 2, packets, 60);
    } else {
      this.flow(
        scanner,
        target.ipv4,
        rng.range(1024, 65535),
        port,
        UDP,
        'ingress',
        open,
        packets,
        packets * 29,
      );
      this.rec.num[F.tcpFlags] = 0;
    }
    if (!open) this.bpa(0.2);
    this.rec.num[F.encryptionStatus] = 0;
  }

  private icmp(): void {
    const rng = this.rng;
    const eni = rng.pick(this.exposed);
    const v6 = eni.ipv6 !== null && rng.chance(0.3);
    const peer = v6 ? rng.pick(this.topo.publicPeers6) : this.publicPeer();
    const local = v6 ? eni.ipv6! : eni.ipv4;
    const accept = rng.chance(0.7);
    const packets = rng.range(1, 20);
    this.onEni(eni);
    if (accept && rng.chance(0.5)) {
      this.flow(local, peer, 0, 0, v6 ? ICMPV6 : ICMP, 'egress', true, packets, packets * 84);
      this.rec.num[F.trafficPath] = 8;
    } else {
      this.flow(peer, local, 0, 0, v6 ? ICMPV6 : ICMP, 'ingress', accept, packets, packets * 84);
    }
    this.rec.num[F.tcpFlags] = 0;
    this.rec.str[F.type] = v6 ? 'IPv6' : 'IPv4';
    this.rec.num[F.encryptionStatus] = 0;
  }

  /** Calls into an interface VPC endpoint (an AWS-managed ENI, account `unknown`). */
  private endpoint(): void {
    const rng = this.rng;
    const ep = rng.pick(this.topo.byRole.get('endpoint')!);
    const client = rng.pick(this.clientsByVpc.get(ep.vpc)!);
    const eph = this.ephemeral();
    this.onEni(ep);
    if (rng.chance(0.5)) {
      this.tcp(
        client.ipv4,
        ep.ipv4,
        eph,
        443,
        'ingress',
        true,
        CLIENT_FLAGS.draw(rng),
        this.packets(3, 1.4),
        1,
      );
    } else {
      this.tcp(
        ep.ipv4,
        client.ipv4,
        443,
        eph,
        'egress',
        true,
        SERVER_FLAGS.draw(rng),
        this.packets(3, 1.3),
        1,
      );
      this.rec.num[F.trafficPath] = 1;
    }
    this.rec.num[F.encryptionStatus] = 2;
  }

  /** NODATA/SKIPDATA: only version, account, ENI, start, end and the status are filled. */
  private noTraffic(status: RecordStatus): void {
    const rng = this.rng;
    const eni = rng.pick(this.topo.enis);
    const rec = this.rec;
    rec.status = status;
    rec.accept = false;
    rec.stream = eni.id;
    rec.str[F.accountId] = eni.account;
    rec.str[F.interfaceId] = eni.id;
    const w = this.windowStart;
    rec.start = w + rng.int(5);
    rec.num[F.start] = rec.start;
    rec.num[F.end] = w + this.options.interval - 1 - rng.int(5);
    rec.str[F.logStatus] = status === RecordStatus.NoData ? 'NODATA' : 'SKIPDATA';
  }

  /** Transit Gateway: traffic between VPCs through the TGW, seen on an attachment. */
  private tgwFlow(): void {
    const rng = this.rng;
    const rec = this.rec;
    const roll = rng.next();
    if (roll < 0.015) {
      const vpc = rng.pick(this.topo.vpcs);
      this.noTraffic(roll < 0.012 ? RecordStatus.NoData : RecordStatus.SkipData);
      rec.str[F.interfaceId] = null;
      rec.str[F.accountId] = vpc.account;
      rec.stream = this.topo.tgw.attachments.get(vpc.id)!;
      rec.str[F.resourceType] = 'TransitGatewayAttachment';
      rec.str[F.tgwId] = this.topo.tgw.id;
      rec.str[F.tgwAttachmentId] = rec.stream;
      return;
    }
    const src = rng.pick(this.tgwHosts);
    const dst = rng.pick(this.tgwPeers.get(src.vpc)!);
    const port = dst.servicePort || 443;
    const eph = this.ephemeral();
    const ingress = rng.chance(0.5);
    const srcAttach = this.topo.tgw.attachments.get(src.vpc.id)!;
    const dstAttach = this.topo.tgw.attachments.get(dst.vpc.id)!;
    const attachment = ingress ? srcAttach : dstAttach;
    this.tcp(
      src.ipv4,
      dst.ipv4,
      eph,
      port,
      ingress ? 'ingress' : 'egress',
      true,
      CLIENT_FLAGS.draw(rng),
      this.packets(3, 1.3),
      2,
    );
    rec.stream = attachment;
    rec.str[F.interfaceId] = null;
    rec.str[F.accountId] = this.topo.accounts[0]!;
    rec.str[F.resourceType] = rng.chance(0.9) ? 'TransitGatewayAttachment' : 'TransitGateway';
    rec.str[F.tgwId] = this.topo.tgw.id;
    rec.str[F.tgwAttachmentId] = attachment;
    rec.str[F.tgwPairAttachmentId] = ingress ? dstAttach : srcAttach;
    rec.str[F.tgwSrcVpcAccountId] = src.vpc.account;
    rec.str[F.tgwDstVpcAccountId] = dst.vpc.account;
    rec.str[F.tgwSrcVpcId] = src.vpc.id;
    rec.str[F.tgwDstVpcId] = dst.vpc.id;
    rec.str[F.tgwSrcSubnetId] = src.subnet.id;
    rec.str[F.tgwDstSubnetId] = dst.subnet.id;
    rec.str[F.tgwSrcEni] = src.id;
    rec.str[F.tgwDstEni] = dst.id;
    rec.str[F.tgwSrcAzId] = src.subnet.azId;
    rec.str[F.tgwDstAzId] = dst.subnet.azId;
    rec.str[F.region] = src.region;
    rec.str[F.type] = 'IPv4';
    const lost = rng.chance(0.02);
    rec.num[F.lostNoRoute] = lost && rng.chance(0.5) ? rng.range(1, 40) : 0;
    rec.num[F.lostBlackhole] = lost && rng.chance(0.5) ? rng.range(1, 40) : 0;
    rec.num[F.lostMtu] = lost && rng.chance(0.2) ? rng.range(1, 5) : 0;
    rec.num[F.lostTtl] = 0;
  }

  // ---- helpers ----

  private publicPeer(): string {
    return this.topo.publicPeers[this.peerZipf.draw(this.rng)]!;
  }

  ephemeral(): number {
    return this.rng.range(32768, 60999);
  }

  /** Heavy-tailed packet count: Pareto, capped so one interval stays plausible. */
  private packets(xm: number, alpha: number): number {
    return Math.min(Math.round(this.rng.pareto(xm, alpha)), 5_000_000);
  }

  /** The capturing ENI's metadata fields. */
  onEni(eni: Eni): void {
    const rec = this.rec;
    const s = rec.str;
    rec.stream = eni.id;
    s[F.accountId] = eni.account;
    s[F.interfaceId] = eni.id;
    s[F.vpcId] = eni.vpc.id;
    s[F.subnetId] = eni.subnet.id;
    s[F.instanceId] = eni.instanceId;
    s[F.region] = eni.region;
    s[F.azId] = eni.azId;
    s[F.sublocationType] = eni.sublocationType;
    s[F.sublocationId] = eni.sublocationId;
    s[F.interfaceType] = eni.interfaceType;
    s[F.instanceTag] = eni.instanceTag;
    s[F.interfaceTag] = eni.interfaceTag;
    s[F.resourceId] = eni.resourceId;
    s[F.type] = 'IPv4';
    const ecs = eni.ecs;
    if (ecs) {
      s[F.ecsClusterArn] = ecs.clusterArn;
      s[F.ecsClusterName] = ecs.clusterName;
      s[F.ecsContainerInstanceArn] = ecs.containerInstanceArn;
      s[F.ecsContainerInstanceId] = ecs.containerInstanceId;
      s[F.ecsContainerId] = ecs.containerId;
      s[F.ecsSecondContainerId] = ecs.secondContainerId;
      s[F.ecsServiceName] = ecs.serviceName;
      s[F.ecsTaskDefinitionArn] = ecs.taskDefinitionArn;
      s[F.ecsTaskArn] = ecs.taskArn;
      s[F.ecsTaskId] = ecs.taskId;
    }
  }

  private nextHop(eni: Eni | undefined): void {
    if (!eni) return;
    const s = this.rec.str;
    s[F.nextHopInterfaceId] = eni.id;
    s[F.nextHopSubnetId] = eni.subnet.id;
    s[F.nextHopAzId] = eni.subnet.azId;
    s[F.nextHopVpcId] = eni.vpc.id;
    s[F.nextHopInterfaceType] = this.rng.chance(0.3) ? 'regional_nat_gateway' : eni.interfaceType;
  }

  /** reject-reason BPA on some rejected records. */
  private bpa(p: number): void {
    if (this.rng.chance(p)) this.rec.str[F.rejectReason] = 'BPA';
  }

  /**
   * A TCP flow; `sizeClass` picks bytes per packet: 0 requests, 1 downloads, 2 queries,
   * 3 mixed, 60 bare SYNs.
   */
  tcp(
    src: string,
    dst: string,
    sport: number,
    dport: number,
    direction: 'ingress' | 'egress',
    accept: boolean,
    flags: number,
    packets: number,
    sizeClass: number,
  ): void {
    const rng = this.rng;
    // a SYN or RST alone carries a handful of packets at most
    if (flags === 2 || flags === 4 || flags === 18) packets = Math.min(packets, rng.range(1, 3));
    let perPacket: number;
    if (sizeClass === 60) perPacket = rng.chance(0.5) ? 60 : 44;
    else if (sizeClass === 0) perPacket = rng.range(60, 700);
    else if (sizeClass === 1) perPacket = rng.range(600, 1500);
    else if (sizeClass === 2) perPacket = rng.range(80, 400);
    else perPacket = rng.range(100, 1400);
    this.flow(src, dst, sport, dport, TCP, direction, accept, packets, packets * perPacket);
    this.rec.num[F.tcpFlags] = flags;
  }

  flow(
    src: string,
    dst: string,
    sport: number,
    dport: number,
    protocol: number,
    direction: 'ingress' | 'egress',
    accept: boolean,
    packets: number,
    bytes: number,
  ): void {
    const rec = this.rec;
    const s = rec.str;
    const n = rec.num;
    const rng = this.rng;
    s[F.srcaddr] = src;
    s[F.dstaddr] = dst;
    s[F.pktSrcaddr] = src;
    s[F.pktDstaddr] = dst;
    n[F.srcport] = sport;
    n[F.dstport] = dport;
    n[F.protocol] = protocol;
    if (packets < 1) packets = 1;
    n[F.packets] = packets;
    n[F.bytes] = bytes;
    const interval = this.options.interval;
    const w = this.windowStart;
    const start = w + Math.floor(rng.next() * interval * 0.9);
    const end = start + Math.floor(rng.next() * (w + interval - start));
    rec.start = start;
    n[F.start] = start;
    n[F.end] = Math.min(end, w + interval - 1);
    rec.accept = accept;
    s[F.action] = accept ? 'ACCEPT' : 'REJECT';
    s[F.logStatus] = 'OK';
    s[F.flowDirection] = direction;
  }
}
