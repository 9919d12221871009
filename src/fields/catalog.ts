/**
 * Every VPC Flow Logs field AWS has published, version 2 to 11.
 * Source of truth: shared/spec/flow-logs-facts.md, sections A.2, A.3 and A.5.
 */

export type FieldType = 'int32' | 'int64' | 'string';

/** Largest whole number a column holds exactly (numbers are kept as float64). */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;
/** Largest Unix time in seconds accepted: the end of year 9999. */
export const MAX_TIME_SECONDS = 253402300799;
/** A `start`/`end` value at or above this is read as milliseconds (1e11 s is year 5138). */
export const MILLISECONDS_FROM = 1e11;

/**
 * The values a field may take; a record with a value outside is malformed. Every decoder
 * (the JavaScript row parser, the WebAssembly scanner, the OTLP line transcoder) checks
 * against these, so a line's fate does not depend on which one read it.
 */
export type FieldDomain =
  /** A whole number from 0 to `max`. */
  | { readonly kind: 'number'; readonly max: number }
  /** Unix seconds; values from MILLISECONDS_FROM on are milliseconds, read as whole seconds. */
  | { readonly kind: 'time' }
  /** An IPv4 or IPv6 address. */
  | { readonly kind: 'address' }
  /** One of a closed set of words. */
  | { readonly kind: 'word'; readonly values: readonly string[] }
  /** Any text. */
  | { readonly kind: 'text' };

export interface FieldDef {
  /** Hyphenated name as written in a LogFormat and in text headers, e.g. `account-id`. */
  readonly name: string;
  /** snake_case name as AWS's Parquet files and Athena use it, e.g. `account_id`. */
  readonly column: string;
  /** Flow-log version in which the field first appeared; 0 for a field flowlens does not know. */
  readonly version: number;
  readonly type: FieldType;
  /** Documented values, where AWS gives a closed or reference set. */
  readonly values?: readonly string[];
  /** What a value must be; `-` (no value) is always accepted. */
  readonly domain: FieldDomain;
  readonly description: string;
  /** False for a field name read from a header or format that is not in the catalog. */
  readonly known: boolean;
}

type Row = [name: string, version: number, type: FieldType, description: string, values?: readonly string[]];

const INT32_MAX = 2 ** 31 - 1;
/** Fields whose `values` are a closed set: anything else there is malformed. */
const CLOSED = new Set(['action', 'log-status', 'flow-direction']);
const ADDRESSES = new Set(['srcaddr', 'dstaddr', 'pkt-srcaddr', 'pkt-dstaddr']);
const TIMES = new Set(['start', 'end']);
/** Upper bounds narrower than the field type's: ports, IANA protocol numbers, the 9 TCP flag bits. */
const MAXIMA = new Map([
  ['srcport', 65535],
  ['dstport', 65535],
  ['protocol', 255],
  ['tcp-flags', 511],
]);

function domainOf(name: string, type: FieldType, values: readonly string[] | undefined): FieldDomain {
  if (TIMES.has(name)) return { kind: 'time' };
  if (type !== 'string') {
    return { kind: 'number', max: MAXIMA.get(name) ?? (type === 'int32' ? INT32_MAX : MAX_COUNT) };
  }
  if (ADDRESSES.has(name)) return { kind: 'address' };
  if (values && CLOSED.has(name)) return { kind: 'word', values };
  return { kind: 'text' };
}

const AWS_SERVICES = [
  'AMAZON',
  'AMAZON_APPFLOW',
  'AMAZON_CONNECT',
  'API_GATEWAY',
  'AURORA_DSQL',
  'CHIME_MEETINGS',
  'CHIME_VOICECONNECTOR',
  'CLOUD9',
  'CLOUDFRONT',
  'CLOUDFRONT_ORIGIN_FACING',
  'CODEBUILD',
  'DYNAMODB',
  'EBS',
  'EC2',
  'EC2_INSTANCE_CONNECT',
  'GLOBALACCELERATOR',
  'IVS_LOW_LATENCY',
  'IVS_REALTIME',
  'KINESIS_VIDEO_STREAMS',
  'MEDIA_PACKAGE_V2',
  'ROUTE53',
  'ROUTE53_HEALTHCHECKS',
  'ROUTE53_HEALTHCHECKS_PUBLISHING',
  'ROUTE53_RESOLVER',
  'S3',
  'WORKSPACES_GATEWAYS',
] as const;

const ROWS: readonly Row[] = [
  ['version', 2, 'int32', 'Flow log format version: the highest version among the fields of the format'],
  [
    'account-id',
    2,
    'string',
    'AWS account that owns the source network interface ("unknown" for some AWS-managed ENIs)',
  ],
  ['interface-id', 2, 'string', 'ID of the network interface the traffic is recorded for'],
  [
    'srcaddr',
    2,
    'string',
    'Source address for incoming traffic, or the interface address for outgoing traffic',
  ],
  [
    'dstaddr',
    2,
    'string',
    'Destination address for outgoing traffic, or the interface address for incoming traffic',
  ],
  ['srcport', 2, 'int32', 'Source port'],
  ['dstport', 2, 'int32', 'Destination port'],
  ['protocol', 2, 'int32', 'IANA protocol number'],
  ['packets', 2, 'int64', 'Packets transferred during the aggregation interval'],
  ['bytes', 2, 'int64', 'Bytes transferred during the aggregation interval'],
  ['start', 2, 'int64', 'Unix seconds of the first packet of the flow within the interval'],
  ['end', 2, 'int64', 'Unix seconds of the last packet of the flow within the interval'],
  [
    'action',
    2,
    'string',
    'Whether security groups and network ACLs allowed the traffic',
    ['ACCEPT', 'REJECT'],
  ],
  ['log-status', 2, 'string', 'Logging status of the record', ['OK', 'NODATA', 'SKIPDATA']],
  ['vpc-id', 3, 'string', 'VPC of the network interface'],
  ['subnet-id', 3, 'string', 'Subnet of the network interface'],
  ['instance-id', 3, 'string', 'Instance attached to the network interface, if the account owns it'],
  ['tcp-flags', 3, 'int32', 'Bitmask of the TCP flags seen, OR-ed over the aggregation interval'],
  ['type', 3, 'string', 'Traffic type', ['IPv4', 'IPv6', 'EFA']],
  ['pkt-srcaddr', 3, 'string', 'Packet-level (original) source address'],
  ['pkt-dstaddr', 3, 'string', 'Packet-level (original) destination address'],
  ['region', 4, 'string', 'Region of the network interface'],
  ['az-id', 4, 'string', 'Availability Zone ID of the network interface'],
  ['sublocation-type', 4, 'string', 'Type of the sublocation', ['wavelength', 'outpost', 'localzone']],
  ['sublocation-id', 4, 'string', 'ID of the sublocation'],
  [
    'pkt-src-aws-service',
    5,
    'string',
    'AWS service of the ip-ranges.json subset holding pkt-srcaddr',
    AWS_SERVICES,
  ],
  [
    'pkt-dst-aws-service',
    5,
    'string',
    'AWS service of the ip-ranges.json subset holding pkt-dstaddr',
    AWS_SERVICES,
  ],
  ['flow-direction', 5, 'string', 'Direction relative to the capturing interface', ['ingress', 'egress']],
  [
    'traffic-path',
    5,
    'int32',
    'Path egress traffic takes: 1 same VPC, 2 internet or gateway endpoint, 3 virtual private gateway, 4 intra-Region peering, 5 inter-Region peering, 6 local gateway, 7 gateway endpoint (Nitro), 8 internet gateway (Nitro)',
    ['1', '2', '3', '4', '5', '6', '7', '8'],
  ],
  [
    'resource-type',
    6,
    'string',
    'Transit Gateway flow logs: type of the resource the traffic is recorded for',
  ],
  ['tgw-id', 6, 'string', 'Transit gateway ID'],
  ['tgw-attachment-id', 6, 'string', 'Transit gateway attachment ID'],
  ['tgw-src-vpc-account-id', 6, 'string', 'Account of the source VPC'],
  ['tgw-dst-vpc-account-id', 6, 'string', 'Account of the destination VPC'],
  ['tgw-src-vpc-id', 6, 'string', 'Source VPC ID'],
  ['tgw-dst-vpc-id', 6, 'string', 'Destination VPC ID'],
  ['tgw-src-subnet-id', 6, 'string', 'Source subnet ID'],
  ['tgw-dst-subnet-id', 6, 'string', 'Destination subnet ID'],
  ['tgw-src-eni', 6, 'string', 'Source network interface'],
  ['tgw-dst-eni', 6, 'string', 'Destination network interface'],
  ['tgw-src-az-id', 6, 'string', 'Source Availability Zone ID'],
  ['tgw-dst-az-id', 6, 'string', 'Destination Availability Zone ID'],
  ['tgw-pair-attachment-id', 6, 'string', 'Attachment ID of the other side of the flow'],
  ['packets-lost-no-route', 6, 'int64', 'Packets dropped because no route matched'],
  ['packets-lost-blackhole', 6, 'int64', 'Packets dropped by a blackhole route'],
  ['packets-lost-mtu-exceeded', 6, 'int64', 'Packets dropped because they exceeded the MTU'],
  ['packets-lost-ttl-expired', 6, 'int64', 'Packets dropped because their TTL expired'],
  ['ecs-cluster-arn', 7, 'string', 'ARN of the ECS cluster of the task'],
  ['ecs-cluster-name', 7, 'string', 'Name of the ECS cluster of the task'],
  ['ecs-container-instance-arn', 7, 'string', 'ARN of the ECS container instance (EC2 capacity only)'],
  ['ecs-container-instance-id', 7, 'string', 'ID of the ECS container instance (EC2 capacity only)'],
  ['ecs-container-id', 7, 'string', 'Docker runtime ID of the first container of the task'],
  ['ecs-second-container-id', 7, 'string', 'Docker runtime ID of the second container of the task'],
  ['ecs-service-name', 7, 'string', 'ECS service that started the task'],
  ['ecs-task-definition-arn', 7, 'string', 'ARN of the task definition'],
  ['ecs-task-arn', 7, 'string', 'ARN of the task'],
  ['ecs-task-id', 7, 'string', 'ID of the task'],
  [
    'reject-reason',
    8,
    'string',
    'Why the traffic was rejected (BPA: VPC Block Public Access)',
    ['BPA', 'EC'],
  ],
  // The introduced-in version (9 or 10) and the Parquet type of the next two are unconfirmed;
  // readers accept either representation, see the spec sheet's open questions.
  [
    'resource-id',
    10,
    'string',
    'ID of the resource the traffic is recorded for, e.g. a regional NAT gateway',
  ],
  [
    'encryption-status',
    10,
    'int32',
    'VPC Encryption Controls: 0 not encrypted, 1 Nitro encryption, 2 application TLS, 3 both',
    ['0', '1', '2', '3'],
  ],
  ['interface-type', 11, 'string', 'Type of the network interface'],
  ['next-hop-interface-id', 11, 'string', 'Network interface of the next hop'],
  ['next-hop-subnet-id', 11, 'string', 'Subnet of the next hop'],
  ['next-hop-az-id', 11, 'string', 'Availability Zone ID of the next hop'],
  ['next-hop-vpc-id', 11, 'string', 'VPC of the next hop'],
  ['next-hop-interface-type', 11, 'string', 'Interface type of the next hop, e.g. regional_nat_gateway'],
  ['instance-tag', 11, 'string', 'Value of the configured instance tag'],
  ['interface-tag', 11, 'string', 'Value of the configured network-interface tag'],
];

export const toColumnName = (name: string): string => name.replaceAll('-', '_');
export const toFieldName = (name: string): string => name.replaceAll('_', '-');

export const FIELDS: readonly FieldDef[] = ROWS.map(([name, version, type, description, values]) => ({
  name,
  column: toColumnName(name),
  version,
  type,
  description,
  domain: domainOf(name, type, values),
  known: true,
  ...(values ? { values } : {}),
}));

const BY_NAME = new Map<string, FieldDef>();
for (const f of FIELDS) {
  BY_NAME.set(f.name, f);
  BY_NAME.set(f.column, f);
}

/** The catalog entry for a name in either spelling (`log-status` or `log_status`), or undefined. */
export function findField(name: string): FieldDef | undefined {
  return BY_NAME.get(name) ?? BY_NAME.get(name.toLowerCase());
}

/** A string column for a field name flowlens does not know; callers warn once per name. */
export function unknownField(name: string): FieldDef {
  const hyphen = toFieldName(name);
  return {
    name: hyphen,
    column: toColumnName(name),
    version: 0,
    type: 'string',
    description: 'Field not in the flowlens catalog, kept as text',
    domain: { kind: 'text' },
    known: false,
  };
}

/** The catalog entry for a field, or an unknown-field entry. */
export function resolveField(name: string): FieldDef {
  return findField(name) ?? unknownField(name);
}

export const DEFAULT_FIELD_NAMES = [
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
] as const;

export const DEFAULT_FIELDS: readonly FieldDef[] = DEFAULT_FIELD_NAMES.map((n) => findField(n)!);

/** Fields by version, in the order AWS lists them: for the generator and for docs. */
export function fieldsOfVersion(version: number): FieldDef[] {
  return FIELDS.filter((f) => f.version === version);
}
