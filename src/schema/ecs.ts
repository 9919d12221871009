import { cellAt, type FlowBatch } from '../batch/flow-batch.js';
import { protocolName } from '../enrich/protocols.js';
import { compileEcs } from './json/ecs.js';
import type { Document, DocumentSchema } from './types.js';
import { addressFamily, ENDPOINT_RULE_COLUMNS, isoTime, viewOf } from './view.js';

/**
 * Elastic Common Schema documents, after Elastic's `aws.vpcflow` integration: nested objects
 * as Elasticsearch expects them. Core ECS fields are listed in ECS_FIELDS; every other record
 * field goes under `aws.vpcflow.<column>` (see ECS_CONSUMED).
 */

/** Simple one-to-one mappings: column → dotted ECS path (written nested). */
export const ECS_FIELDS: readonly (readonly [column: string, path: string])[] = [
  ['srcport', 'source.port'],
  ['dstport', 'destination.port'],
  ['packets', 'source.packets'],
  ['bytes', 'source.bytes'],
  ['account_id', 'cloud.account.id'],
  ['region', 'cloud.region'],
  ['az_id', 'cloud.availability_zone'],
  ['instance_id', 'cloud.instance.id'],
  ['reject_reason', 'event.reason'],
  ['ecs_cluster_arn', 'orchestrator.cluster.id'],
  ['ecs_cluster_name', 'orchestrator.cluster.name'],
  ['ecs_container_instance_id', 'orchestrator.resource.id'],
  ['ecs_container_instance_arn', 'orchestrator.resource.name'],
  ['ecs_service_name', 'service.name'],
  ['record_uid', 'event.id'],
  ['community_id', 'network.community_id'],
  ['src_country', 'source.geo.country_iso_code'],
  ['src_city', 'source.geo.city_name'],
  ['src_lat', 'source.geo.location.lat'],
  ['src_lon', 'source.geo.location.lon'],
  ['src_asn', 'source.as.number'],
  ['src_as_org', 'source.as.organization.name'],
  ['dst_country', 'destination.geo.country_iso_code'],
  ['dst_city', 'destination.geo.city_name'],
  ['dst_lat', 'destination.geo.location.lat'],
  ['dst_lon', 'destination.geo.location.lon'],
  ['dst_asn', 'destination.as.number'],
  ['dst_as_org', 'destination.as.organization.name'],
  ['src_network_class', 'flowlens.src_network_class'],
  ['dst_network_class', 'flowlens.dst_network_class'],
  ['flow_class', 'flowlens.flow_class'],
];

/** Core-mapped columns Elastic's pipeline also keeps under `aws.vpcflow`. */
const ECS_KEPT: ReadonlySet<string> = new Set(['account_id', 'instance_id']);

/**
 * Columns mapped to core ECS fields (by the table or by the rules in `document`) that are not
 * also kept under `aws.vpcflow`: as in Elastic's pipeline, `account_id`, `instance_id` and
 * `action` stay there too.
 */
export const ECS_CONSUMED: ReadonlySet<string> = new Set([
  ...ECS_FIELDS.map(([c]) => c).filter((c) => !ECS_KEPT.has(c)),
  ...ENDPOINT_RULE_COLUMNS,
  'protocol',
  'start',
  'end',
  'flow_direction',
  'tcp_flag_names',
]);

/** `aws.vpcflow` names that Elastic's integration spells differently from the column. */
export const VPCFLOW_NAMES: ReadonlyMap<string, readonly string[]> = new Map([
  ['pkt_src_aws_service', ['pkt_src_service']],
  ['pkt_dst_aws_service', ['pkt_dst_service']],
  ['sublocation_type', ['sublocation', 'type']],
  ['sublocation_id', ['sublocation', 'id']],
]);

type Obj = Record<string, unknown>;

function setPath(doc: Obj, parts: readonly string[], value: unknown): void {
  let o = doc;
  for (let k = 0; k < parts.length - 1; k++) {
    const p = parts[k]!;
    let next = o[p] as Obj | undefined;
    if (next === undefined) {
      next = {};
      o[p] = next;
    }
    o = next;
  }
  o[parts[parts.length - 1]!] = value;
}

const PATHS = ECS_FIELDS.map(([column, path]) => [column, path, path.split('.')] as const);

export function ecsDocumentSchema(): DocumentSchema {
  return {
    name: 'ecs',
    compile: compileEcs,
    document(batch: FlowBatch, i: number): Document {
      const v = viewOf(batch);
      const doc: Obj = {};
      const end = v.num('end', i);
      const start = v.num('start', i);
      if (end !== null) doc['@timestamp'] = isoTime(end);
      else if (start !== null) doc['@timestamp'] = isoTime(start);
      const action = v.str('action', i);
      // every record is a connection, Transit Gateway ones (no action) too; the action as AWS writes it
      const event: Obj = { kind: 'event', category: ['network'], type: ['connection'] };
      if (action === 'ACCEPT' || action === 'REJECT') {
        event.type = ['connection', action === 'ACCEPT' ? 'allowed' : 'denied'];
        event.action = action;
        event.outcome = action === 'ACCEPT' ? 'success' : 'failure';
      } else if (action !== null) {
        event.action = action;
      }
      if (start !== null) event.start = isoTime(start);
      if (end !== null) event.end = isoTime(end);
      doc.event = event;

      const src = v.srcAddr(i);
      const dst = v.dstAddr(i);
      if (src !== null) doc.source = { address: src, ip: src };
      if (dst !== null) doc.destination = { address: dst, ip: dst };

      const network: Obj = {};
      const proto = v.num('protocol', i);
      if (proto !== null) {
        const name = v.str('protocol_name', i) ?? protocolName(proto);
        if (name !== null) network.transport = name;
        network.iana_number = String(proto);
      }
      const type = v.str('type', i);
      const family = type === 'IPv4' ? 'ipv4' : type === 'IPv6' ? 'ipv6' : addressFamily(src ?? dst);
      if (family !== null) network.type = family;
      const direction = v.str('flow_direction', i) ?? v.str('flow_class', i);
      if (direction !== null) network.direction = direction;
      const bytes = v.num('bytes', i);
      const packets = v.num('packets', i);
      if (bytes !== null) network.bytes = bytes;
      if (packets !== null) network.packets = packets;
      if (Object.keys(network).length > 0) doc.network = network;

      doc.cloud = { provider: 'aws' };
      for (const [column, , parts] of PATHS) {
        const col = v.col(column);
        if (!col) continue;
        const value = cellAt(col, i);
        if (value === null) continue;
        // Only the traffic fields need a source/destination object; the geo of a missing endpoint is skipped.
        if ((parts[0] === 'source' && src === null) || (parts[0] === 'destination' && dst === null)) continue;
        setPath(doc, parts, value);
      }

      const vpcflow: Obj = {};
      for (let c = 0; c < batch.fields.length; c++) {
        const f = batch.fields[c]!;
        const value = cellAt(batch.columns[c]!, i);
        if (value === null) continue;
        if (ECS_CONSUMED.has(f.column)) {
          // The interface-side addresses stay visible when the packet addresses replaced them.
          if (f.column === 'srcaddr' && value !== src) vpcflow.srcaddr = value;
          else if (f.column === 'dstaddr' && value !== dst) vpcflow.dstaddr = value;
          continue;
        }
        // keywords, as Elastic's integration maps every aws.vpcflow field: numbers as text
        const text = typeof value === 'number' ? String(value) : value;
        const name = VPCFLOW_NAMES.get(f.column);
        if (name) setPath(vpcflow, name, text);
        else vpcflow[f.column] = text;
      }
      const flags = v.col('tcp_flag_names');
      const names = flags ? cellAt(flags, i) : null;
      if (names !== null) vpcflow.tcp_flags_array = names;
      doc.aws = { vpcflow };

      const related = [
        ...new Set([src, dst, v.str('srcaddr', i), v.str('dstaddr', i)].filter((a) => a !== null)),
      ];
      if (related.length > 0) doc.related = { ip: related };
      return doc;
    },
  };
}
