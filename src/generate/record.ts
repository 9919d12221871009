import { FIELDS } from '../fields/catalog.js';

/**
 * One generated record, reused for every record of a run: string and number slots indexed
 * like the catalog's FIELDS, so formatting any field list is a table lookup. NaN and null are `-`.
 */
export class FlowRecord {
  readonly str: (string | null)[] = new Array<string | null>(FIELDS.length).fill(null);
  readonly num = new Float64Array(FIELDS.length).fill(Number.NaN);
  /** OK, NODATA or SKIPDATA. */
  status: RecordStatus = RecordStatus.Ok;
  /** The action the model chose, kept even when the field list has no `action`. */
  accept = true;
  /** CloudWatch log stream of the record: the ENI (or, for Transit Gateway logs, the attachment). */
  stream = '';
  start = 0;

  /** Slots `clear` resets: the ones written out (set by the run); all of them until then. */
  private outputSlots: Int32Array | undefined;

  /** Limits `clear` to the slots a run writes out: stale values elsewhere are never read. */
  useSlots(slots: readonly number[]): void {
    this.outputSlots = Int32Array.from(slots.filter((s) => s >= 0));
  }

  clear(): void {
    const slots = this.outputSlots;
    if (!slots) {
      this.str.fill(null);
      this.num.fill(Number.NaN);
      return;
    }
    for (let k = 0; k < slots.length; k++) {
      const s = slots[k]!;
      this.str[s] = null;
      this.num[s] = Number.NaN;
    }
  }
}

export const RecordStatus = { Ok: 0, NoData: 1, SkipData: 2 } as const;
export type RecordStatus = (typeof RecordStatus)[keyof typeof RecordStatus];

function slot(name: string): number {
  const i = FIELDS.findIndex((f) => f.name === name);
  if (i < 0) throw new Error(`generator: field ${name} is not in the catalog`);
  return i;
}

/** Catalog indexes of the fields the generator fills. */
export const F = {
  version: slot('version'),
  accountId: slot('account-id'),
  interfaceId: slot('interface-id'),
  srcaddr: slot('srcaddr'),
  dstaddr: slot('dstaddr'),
  srcport: slot('srcport'),
  dstport: slot('dstport'),
  protocol: slot('protocol'),
  packets: slot('packets'),
  bytes: slot('bytes'),
  start: slot('start'),
  end: slot('end'),
  action: slot('action'),
  logStatus: slot('log-status'),
  vpcId: slot('vpc-id'),
  subnetId: slot('subnet-id'),
  instanceId: slot('instance-id'),
  tcpFlags: slot('tcp-flags'),
  type: slot('type'),
  pktSrcaddr: slot('pkt-srcaddr'),
  pktDstaddr: slot('pkt-dstaddr'),
  region: slot('region'),
  azId: slot('az-id'),
  sublocationType: slot('sublocation-type'),
  sublocationId: slot('sublocation-id'),
  pktSrcAwsService: slot('pkt-src-aws-service'),
  pktDstAwsService: slot('pkt-dst-aws-service'),
  flowDirection: slot('flow-direction'),
  trafficPath: slot('traffic-path'),
  resourceType: slot('resource-type'),
  tgwId: slot('tgw-id'),
  tgwAttachmentId: slot('tgw-attachment-id'),
  tgwSrcVpcAccountId: slot('tgw-src-vpc-account-id'),
  tgwDstVpcAccountId: slot('tgw-dst-vpc-account-id'),
  tgwSrcVpcId: slot('tgw-src-vpc-id'),
  tgwDstVpcId: slot('tgw-dst-vpc-id'),
  tgwSrcSubnetId: slot('tgw-src-subnet-id'),
  tgwDstSubnetId: slot('tgw-dst-subnet-id'),
  tgwSrcEni: slot('tgw-src-eni'),
  tgwDstEni: slot('tgw-dst-eni'),
  tgwSrcAzId: slot('tgw-src-az-id'),
  tgwDstAzId: slot('tgw-dst-az-id'),
  tgwPairAttachmentId: slot('tgw-pair-attachment-id'),
  lostNoRoute: slot('packets-lost-no-route'),
  lostBlackhole: slot('packets-lost-blackhole'),
  lostMtu: slot('packets-lost-mtu-exceeded'),
  lostTtl: slot('packets-lost-ttl-expired'),
  ecsClusterArn: slot('ecs-cluster-arn'),
  ecsClusterName: slot('ecs-cluster-name'),
  ecsContainerInstanceArn: slot('ecs-container-instance-arn'),
  ecsContainerInstanceId: slot('ecs-container-instance-id'),
  ecsContainerId: slot('ecs-container-id'),
  ecsSecondContainerId: slot('ecs-second-container-id'),
  ecsServiceName: slot('ecs-service-name'),
  ecsTaskDefinitionArn: slot('ecs-task-definition-arn'),
  ecsTaskArn: slot('ecs-task-arn'),
  ecsTaskId: slot('ecs-task-id'),
  rejectReason: slot('reject-reason'),
  resourceId: slot('resource-id'),
  encryptionStatus: slot('encryption-status'),
  interfaceType: slot('interface-type'),
  nextHopInterfaceId: slot('next-hop-interface-id'),
  nextHopSubnetId: slot('next-hop-subnet-id'),
  nextHopAzId: slot('next-hop-az-id'),
  nextHopVpcId: slot('next-hop-vpc-id'),
  nextHopInterfaceType: slot('next-hop-interface-type'),
  instanceTag: slot('instance-tag'),
  interfaceTag: slot('interface-tag'),
} as const;
