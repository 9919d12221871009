import { FIELDS, type FieldDef, findField } from '../fields/catalog.js';
import { parseFormat } from '../fields/format.js';
import type { GenerateVersion } from './types.js';

/**
 * The Transit Gateway flow-log field set, in the order AWS's default TGW format lists it:
 * the v6 TGW fields interleaved with the common traffic fields (no `action`, no `interface-id`).
 */
const TGW_FIELD_NAMES = [
  'version',
  'resource-type',
  'account-id',
  'tgw-id',
  'tgw-attachment-id',
  'tgw-src-vpc-account-id',
  'tgw-dst-vpc-account-id',
  'tgw-src-vpc-id',
  'tgw-dst-vpc-id',
  'tgw-src-subnet-id',
  'tgw-dst-subnet-id',
  'tgw-src-eni',
  'tgw-dst-eni',
  'tgw-src-az-id',
  'tgw-dst-az-id',
  'tgw-pair-attachment-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'log-status',
  'type',
  'packets-lost-no-route',
  'packets-lost-blackhole',
  'packets-lost-mtu-exceeded',
  'packets-lost-ttl-expired',
  'tcp-flags',
  'region',
  'flow-direction',
  'pkt-src-aws-service',
  'pkt-dst-aws-service',
] as const;

/**
 * Every field of `version` and the earlier versions, in catalog order. The v6 Transit Gateway
 * fields belong to TGW flow logs only, so VPC versions 7+ leave them out; `tgw` selects them.
 */
export function fieldsForVersion(version: GenerateVersion): FieldDef[] {
  if (version === 'tgw') return TGW_FIELD_NAMES.map((n) => findField(n)!);
  const v = Number(version);
  return FIELDS.filter((f) => f.version <= v && f.version !== 6);
}

/** The fields a generator run writes: `format` when given, else the version's set. */
export function generateFields(options: { version?: GenerateVersion; format?: string }): FieldDef[] {
  if (options.format !== undefined) return [...parseFormat(options.format, '--format').fields];
  return fieldsForVersion(options.version ?? '2');
}

/** The `version` value of a record: the highest introduced-in version among its fields (2 at least). */
export function versionValue(fields: readonly FieldDef[]): number {
  let v = 2;
  for (const f of fields) if (f.version > v) v = f.version;
  return v;
}
