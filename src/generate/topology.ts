import type { Rng } from './random.js';

/**
 * The synthetic estate the generator's traffic runs in: two accounts, two regions, three
 * VPCs, public and private subnets over several AZs, and a few dozen ENIs of different roles.
 * Built once per run from the seed; records only pick from it (no per-record allocation).
 */

export type EniRole =
  | 'web'
  | 'app'
  | 'db'
  | 'cache'
  | 'bastion'
  | 'nat'
  | 'nlb'
  | 'ecs'
  | 'endpoint'
  | 'lambda';

export interface Subnet {
  readonly id: string;
  readonly vpcId: string;
  readonly azId: string;
  readonly isPublic: boolean;
}

export interface Vpc {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly octet: number;
  readonly subnets: Subnet[];
  natEni?: Eni;
}

export interface EcsTask {
  readonly clusterArn: string;
  readonly clusterName: string;
  readonly containerInstanceArn: string | null;
  readonly containerInstanceId: string | null;
  readonly containerId: string;
  readonly secondContainerId: string | null;
  readonly serviceName: string | null;
  readonly taskDefinitionArn: string;
  readonly taskArn: string;
  readonly taskId: string;
}

export interface Eni {
  readonly id: string;
  readonly role: EniRole;
  /** The account-id field: the owner, or `unknown` for some AWS-managed ENIs. */
  readonly account: string;
  readonly vpc: Vpc;
  readonly subnet: Subnet;
  readonly ipv4: string;
  readonly ipv6: string | null;
  readonly instanceId: string | null;
  readonly region: string;
  /** null when the ENI lives in a sublocation. */
  readonly azId: string | null;
  readonly sublocationType: string | null;
  readonly sublocationId: string | null;
  readonly interfaceType: string;
  readonly instanceTag: string | null;
  readonly interfaceTag: string | null;
  readonly resourceId: string | null;
  readonly ecs: EcsTask | null;
  /** Service port the ENI listens on (0: none). */
  readonly servicePort: number;
  /** Reachable from the internet (scanners find it). */
  readonly exposed: boolean;
}

export interface AwsServiceAddress {
  readonly ip: string;
  readonly service: string;
}

export interface Topology {
  readonly accounts: readonly string[];
  readonly vpcs: readonly Vpc[];
  readonly enis: readonly Eni[];
  readonly byRole: ReadonlyMap<EniRole, readonly Eni[]>;
  /** Public clients and servers; index 0 is the busiest (Zipf draws). */
  readonly publicPeers: readonly string[];
  readonly publicPeers6: readonly string[];
  readonly scanners: readonly string[];
  readonly admins: readonly string[];
  readonly awsServices: readonly AwsServiceAddress[];
  readonly dnsServers: readonly string[];
  readonly tgw: { readonly id: string; readonly attachments: ReadonlyMap<string, string> };
}

const REGIONS = [
  { name: 'us-east-1', azs: ['use1-az1', 'use1-az2', 'use1-az4'], v6: '2600:1f18' },
  { name: 'eu-west-1', azs: ['euw1-az1', 'euw1-az2', 'euw1-az3'], v6: '2a05:d018' },
] as const;

/** ENIs per VPC by role; the third VPC (second account) is a smaller workload. */
const ROLE_COUNTS: readonly (readonly [EniRole, number, number])[] = [
  // role, count in the main VPCs, count in the small VPC
  ['web', 3, 2],
  ['app', 4, 2],
  ['db', 2, 1],
  ['cache', 1, 0],
  ['bastion', 1, 0],
  ['nat', 1, 1],
  ['nlb', 1, 0],
  ['ecs', 3, 0],
  ['endpoint', 1, 0],
  ['lambda', 1, 1],
];

const SERVICE_PORTS: Readonly<Record<EniRole, readonly number[]>> = {
  web: [443, 443, 443, 80],
  app: [8080, 8443, 9090],
  db: [5432, 3306],
  cache: [6379],
  bastion: [22],
  nat: [0],
  nlb: [443],
  ecs: [8080, 3000, 443],
  endpoint: [443],
  lambda: [0],
};

const INTERFACE_TYPES: Readonly<Record<EniRole, string>> = {
  web: 'interface',
  app: 'interface',
  db: 'interface',
  cache: 'interface',
  bastion: 'interface',
  nat: 'nat_gateway',
  nlb: 'network_load_balancer',
  ecs: 'interface',
  endpoint: 'vpc_endpoint',
  lambda: 'lambda',
};

/** Global unicast prefixes for public IPv6 peers. */
const V6_PREFIXES = ['2a01:4f8', '2607:f8b0', '2a00:1450', '2406:da00'];

const AWS_SERVICE_NAMES = ['S3', 'S3', 'DYNAMODB', 'EC2', 'AMAZON', 'CLOUDFRONT', 'API_GATEWAY', 'ROUTE53'];

function isPrivateOrReserved(a: number, b: number): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    a >= 224 ||
    (a === 100 && b >= 64 && b < 128) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168)
  );
}

function publicIpv4(rng: Rng): string {
  for (;;) {
    const a = rng.range(1, 223);
    const b = rng.int(256);
    if (!isPrivateOrReserved(a, b)) return `${a}.${b}.${rng.int(256)}.${rng.range(1, 254)}`;
  }
}

function hextet(rng: Rng): string {
  return rng.int(65536).toString(16);
}

export function buildTopology(rng: Rng): Topology {
  const accounts = [rng.digits(12), rng.digits(12)];
  const vpcs: Vpc[] = [];
  const enis: Eni[] = [];
  const vpcPlan = [
    { account: accounts[0]!, region: REGIONS[0], small: false },
    { account: accounts[0]!, region: REGIONS[0], small: false },
    { account: accounts[1]!, region: REGIONS[1], small: true },
  ];
  let hostCounter = 10;
  let tag = 0;
  for (let v = 0; v < vpcPlan.length; v++) {
    const plan = vpcPlan[v]!;
    const vpc: Vpc = {
      id: `vpc-${rng.hex(17)}`,
      account: plan.account,
      region: plan.region.name,
      octet: 16 + v * 16,
      subnets: [],
    };
    for (const azId of plan.region.azs.slice(0, plan.small ? 2 : 3)) {
      vpc.subnets.push({ id: `subnet-${rng.hex(17)}`, vpcId: vpc.id, azId, isPublic: true });
      vpc.subnets.push({ id: `subnet-${rng.hex(17)}`, vpcId: vpc.id, azId, isPublic: false });
    }
    vpcs.push(vpc);
    const v6prefix = `${plan.region.v6}:${hextet(rng)}:${hextet(rng)}`;
    for (const [role, main, small] of ROLE_COUNTS) {
      const count = plan.small ? small : main;
      for (let i = 0; i < count; i++) {
        const isPublic = role === 'web' || role === 'bastion' || role === 'nat' || role === 'nlb';
        const candidates = vpc.subnets.filter((s) => s.isPublic === isPublic);
        const subnet = candidates[(i + v) % candidates.length]!;
        const subnetIndex = vpc.subnets.indexOf(subnet);
        const host = hostCounter++;
        const awsManaged = role === 'nat' || role === 'nlb' || role === 'endpoint' || role === 'lambda';
        // one app ENI of the first VPC sits on an Outpost: az-id is then `-`
        const onOutpost = v === 0 && role === 'app' && i === 3;
        const hasInstance = !awsManaged && role !== 'ecs';
        tag++;
        const eni: Eni = {
          id: `eni-${rng.hex(17)}`,
          role,
          account: role === 'nlb' || role === 'endpoint' ? 'unknown' : vpc.account,
          vpc,
          subnet,
          ipv4: `10.${vpc.octet}.${subnetIndex * 16 + (host >> 8)}.${host & 255}`,
          ipv6:
            role === 'web' || role === 'nlb' || role === 'app'
              ? `${v6prefix}:${hextet(rng)}::${hextet(rng)}`
              : null,
          instanceId: hasInstance ? `i-${rng.hex(17)}` : null,
          region: vpc.region,
          azId: onOutpost ? null : subnet.azId,
          sublocationType: onOutpost ? 'outpost' : null,
          sublocationId: onOutpost ? `op-${rng.hex(17)}` : null,
          interfaceType: INTERFACE_TYPES[role],
          instanceTag: hasInstance ? `${role}-${tag}` : null,
          interfaceTag: rng.chance(0.7) ? rng.pick(['team-payments', 'team-search', 'team-platform']) : null,
          resourceId: role === 'nat' ? `nat-${rng.hex(17)}` : null,
          ecs: role === 'ecs' ? ecsTask(rng, vpc, i) : null,
          servicePort: rng.pick(SERVICE_PORTS[role]),
          exposed: isPublic,
        };
        if (role === 'nat') vpc.natEni = eni;
        enis.push(eni);
      }
    }
  }
  const byRole = new Map<EniRole, Eni[]>();
  for (const eni of enis) {
    const list = byRole.get(eni.role) ?? [];
    list.push(eni);
    byRole.set(eni.role, list);
  }
  const publicPeers = Array.from({ length: 4096 }, () => publicIpv4(rng));
  const publicPeers6 = Array.from(
    { length: 256 },
    () => `${rng.pick(V6_PREFIXES)}:${hextet(rng)}:${hextet(rng)}::${hextet(rng)}`,
  );
  const scanners = Array.from({ length: 24 }, () => publicIpv4(rng));
  const admins = Array.from({ length: 3 }, () => publicIpv4(rng));
  const awsServices = Array.from({ length: 64 }, (_, k) => ({
    ip: publicIpv4(rng),
    service: AWS_SERVICE_NAMES[k % AWS_SERVICE_NAMES.length]!,
  }));
  const attachments = new Map<string, string>();
  for (const vpc of vpcs) attachments.set(vpc.id, `tgw-attach-${rng.hex(17)}`);
  return {
    accounts,
    vpcs,
    enis,
    byRole,
    publicPeers,
    publicPeers6,
    scanners,
    admins,
    awsServices,
    dnsServers: ['8.8.8.8', '1.1.1.1', '9.9.9.9'],
    tgw: { id: `tgw-${rng.hex(17)}`, attachments },
  };
}

function ecsTask(rng: Rng, vpc: Vpc, i: number): EcsTask {
  const clusterName = i % 2 === 0 ? 'orders' : 'search';
  const prefix = `arn:aws:ecs:${vpc.region}:${vpc.account}`;
  const taskId = rng.hex(32);
  const onEc2 = i % 3 === 2;
  const containerInstanceId = onEc2 ? rng.hex(32) : null;
  return {
    clusterArn: `${prefix}:cluster/${clusterName}`,
    clusterName,
    containerInstanceArn: onEc2 ? `${prefix}:container-instance/${clusterName}/${containerInstanceId}` : null,
    containerInstanceId,
    containerId: `${taskId}-${rng.digits(10)}`,
    secondContainerId: i % 2 === 0 ? `${taskId}-${rng.digits(10)}` : null,
    serviceName: i === 1 ? null : `${clusterName}-api`,
    taskDefinitionArn: `${prefix}:task-definition/${clusterName}-api:${rng.range(3, 40)}`,
    taskArn: `${prefix}:task/${clusterName}/${taskId}`,
    taskId,
  };
}
