import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { buildEnrichers } from '../../src/enrich/index.js';
import { makeBatch } from '../enrich/make-batch.js';
import { writeTestDbs } from '../enrich/test-dbs.js';

/** One egress record carrying every field of every version, each with a distinctive value. */
export const ALL_FIELDS: readonly (readonly [field: string, value: string])[] = [
  ['version', '11'],
  ['account-id', '123456789010'],
  ['interface-id', 'eni-0aa1'],
  ['srcaddr', '10.0.0.220'],
  ['dstaddr', '10.0.0.221'],
  ['srcport', '40126'],
  ['dstport', '443'],
  ['protocol', '6'],
  ['packets', '25'],
  ['bytes', '8800'],
  ['start', '1620000000'],
  ['end', '1620000060'],
  ['action', 'REJECT'],
  ['log-status', 'OK'],
  ['vpc-id', 'vpc-01'],
  ['subnet-id', 'subnet-01'],
  ['instance-id', 'i-01'],
  ['tcp-flags', '18'],
  ['type', 'IPv4'],
  ['pkt-srcaddr', '10.0.1.5'],
  ['pkt-dstaddr', '8.8.8.8'],
  ['region', 'us-east-1'],
  ['az-id', 'use1-az1'],
  ['sublocation-type', 'outpost'],
  ['sublocation-id', 'op-01'],
  ['pkt-src-aws-service', 'EC2'],
  ['pkt-dst-aws-service', 'ROUTE53'],
  ['flow-direction', 'egress'],
  ['traffic-path', '2'],
  ['resource-type', 'TransitGateway'],
  ['tgw-id', 'tgw-01'],
  ['tgw-attachment-id', 'tgw-attach-01'],
  ['tgw-src-vpc-account-id', '111111111111'],
  ['tgw-dst-vpc-account-id', '222222222222'],
  ['tgw-src-vpc-id', 'vpc-src'],
  ['tgw-dst-vpc-id', 'vpc-dst'],
  ['tgw-src-subnet-id', 'subnet-src'],
  ['tgw-dst-subnet-id', 'subnet-dst'],
  ['tgw-src-eni', 'eni-src'],
  ['tgw-dst-eni', 'eni-dst'],
  ['tgw-src-az-id', 'use1-az2'],
  ['tgw-dst-az-id', 'use1-az3'],
  ['tgw-pair-attachment-id', 'tgw-attach-02'],
  ['packets-lost-no-route', '1'],
  ['packets-lost-blackhole', '2'],
  ['packets-lost-mtu-exceeded', '3'],
  ['packets-lost-ttl-expired', '4'],
  ['ecs-cluster-arn', 'arn:cluster'],
  ['ecs-cluster-name', 'shop'],
  ['ecs-container-instance-arn', 'arn:ci'],
  ['ecs-container-instance-id', 'ci-01'],
  ['ecs-container-id', 'c-01'],
  ['ecs-second-container-id', 'c-02'],
  ['ecs-service-name', 'web'],
  ['ecs-task-definition-arn', 'arn:taskdef'],
  ['ecs-task-arn', 'arn:task'],
  ['ecs-task-id', 'task-01'],
  ['reject-reason', 'BPA'],
  ['resource-id', 'rnat-01'],
  ['encryption-status', '1'],
  ['interface-type', 'interface'],
  ['next-hop-interface-id', 'eni-next'],
  ['next-hop-subnet-id', 'subnet-next'],
  ['next-hop-az-id', 'use1-az4'],
  ['next-hop-vpc-id', 'vpc-next'],
  ['next-hop-interface-type', 'regional_nat_gateway'],
  ['instance-tag', 'web-01'],
  ['interface-tag', 'primary'],
];

/** Row 1: the same record seen inbound, from a public source (its geo fills the src_* columns). */
export const INGRESS_CHANGES: Readonly<Record<string, string>> = {
  action: 'ACCEPT',
  'pkt-srcaddr': '1.1.1.1',
  'pkt-dstaddr': '10.0.1.5',
  'flow-direction': 'ingress',
  'traffic-path': '-',
  'reject-reason': '-',
};

let dbs: ReturnType<typeof writeTestDbs> | undefined;

/** The all-fields records (egress, then ingress), every enricher run (geo/ASN from the test databases). */
export async function allFieldsBatch(): Promise<FlowBatch> {
  dbs ??= writeTestDbs();
  const egress = ALL_FIELDS.map(([, v]) => v).join(' ');
  const ingress = ALL_FIELDS.map(([f, v]) => INGRESS_CHANGES[f] ?? v).join(' ');
  const batch = makeBatch(ALL_FIELDS.map(([f]) => f).join(' '), [egress, ingress], {
    id: 'all-fields.log',
    context: { bucket: 'logs', key: 'AWSLogs/x.log.gz' },
  });
  const enrichers = await buildEnrichers({ enrich: ['all'], 'geoip-db': [dbs.city], 'asn-db': [dbs.asn] });
  for (const e of enrichers) e.enrich(batch);
  return batch;
}
