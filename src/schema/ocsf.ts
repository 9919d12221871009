import { cellAt, type FlowBatch } from '../batch/flow-batch.js';
import { protocolName } from '../enrich/protocols.js';
import { compileOcsf } from './json/ocsf.js';
import type { Document, DocumentSchema } from './types.js';
import { ENDPOINT_RULE_COLUMNS, viewOf } from './view.js';

/**
 * OCSF 1.1 Network Activity (class_uid 4001) as Amazon Security Lake writes VPC flow logs.
 * Times are epoch milliseconds. Fields without an OCSF home go under `unmapped` by column name.
 */
export const OCSF_VERSION = '1.1.0';

/** action → activity, action and disposition (Security Lake's VPC flow mapping). */
export const OCSF_ACTIVITY: Readonly<
  Record<
    'ACCEPT' | 'REJECT' | 'none',
    {
      activity_id: number;
      activity_name: string;
      action_id: number;
      action: string;
      disposition_id: number;
      disposition: string;
    }
  >
> = {
  ACCEPT: {
    activity_id: 6,
    activity_name: 'Traffic',
    action_id: 1,
    action: 'Allowed',
    disposition_id: 1,
    disposition: 'Allowed',
  },
  REJECT: {
    activity_id: 2,
    activity_name: 'Deny',
    action_id: 2,
    action: 'Denied',
    disposition_id: 2,
    disposition: 'Blocked',
  },
  none: {
    activity_id: 0,
    activity_name: 'Unknown',
    action_id: 0,
    action: 'Unknown',
    disposition_id: 0,
    disposition: 'Unknown',
  },
};

/** The members every document starts with, by the record's action (class, activity, severity). */
export function ocsfHead(kind: 'ACCEPT' | 'REJECT' | 'none'): Record<string, unknown> {
  const a = OCSF_ACTIVITY[kind];
  return {
    activity_id: a.activity_id,
    activity_name: a.activity_name,
    category_uid: 4,
    category_name: 'Network Activity',
    class_uid: 4001,
    class_name: 'Network Activity',
    type_uid: 400100 + a.activity_id,
    type_name: `Network Activity: ${a.activity_name}`,
    action_id: a.action_id,
    action: a.action,
    disposition_id: a.disposition_id,
    disposition: a.disposition,
    severity_id: 1,
    severity: 'Informational',
  };
}

/** traffic-path 1–8 → connection_info.boundary_id 4–11, with the OCSF boundary captions. */
export const OCSF_BOUNDARY: Readonly<Record<number, readonly [id: number, name: string]>> = {
  1: [4, 'Same VPC'],
  2: [5, 'Internet/VPC Gateway'],
  3: [6, 'Virtual Private Gateway'],
  4: [7, 'Intra-region VPC'],
  5: [8, 'Inter-region VPC'],
  6: [9, 'Local Gateway'],
  7: [10, 'Gateway VPC'],
  8: [11, 'Internet Gateway'],
};

/** Endpoint fields: column → key within src_endpoint / dst_endpoint. */
export const OCSF_ENDPOINT_FIELDS: readonly (readonly [src: string, dst: string, key: string])[] = [
  ['srcport', 'dstport', 'port'],
  ['pkt_src_aws_service', 'pkt_dst_aws_service', 'svc_name'],
  ['src_country', 'dst_country', 'location.country'],
  ['src_city', 'dst_city', 'location.city'],
  ['src_lat', 'dst_lat', 'location.lat'],
  ['src_lon', 'dst_lon', 'location.long'],
  ['src_asn', 'dst_asn', 'autonomous_system.number'],
  ['src_as_org', 'dst_as_org', 'autonomous_system.name'],
];

/** The ENI's own resources, placed on its side: dst_endpoint for ingress, src_endpoint otherwise. */
export const OCSF_ENI_FIELDS: readonly (readonly [column: string, key: string])[] = [
  ['interface_id', 'interface_uid'],
  ['vpc_id', 'vpc_uid'],
  ['instance_id', 'instance_uid'],
  ['subnet_id', 'subnet_uid'],
];

/** Columns written somewhere other than `unmapped`. */
export const OCSF_CONSUMED: ReadonlySet<string> = new Set([
  'version',
  'account_id',
  'region',
  'az_id',
  ...ENDPOINT_RULE_COLUMNS,
  'tcp_flags',
  'bytes',
  'packets',
  'flow_direction',
  'traffic_path',
  'start',
  'end',
  'action',
  'log_status',
  'record_uid',
  'community_id',
  ...OCSF_ENDPOINT_FIELDS.map(([src]) => src),
  ...OCSF_ENDPOINT_FIELDS.map(([, dst]) => dst),
  ...OCSF_ENI_FIELDS.map(([c]) => c),
]);

type Obj = Record<string, unknown>;

function put(o: Obj, key: string, value: unknown): void {
  const dot = key.indexOf('.');
  if (dot < 0) {
    o[key] = value;
    return;
  }
  const head = key.slice(0, dot);
  const inner = (o[head] as Obj | undefined) ?? {};
  o[head] = inner;
  put(inner, key.slice(dot + 1), value);
}

export function ocsfDocumentSchema(): DocumentSchema {
  return {
    name: 'ocsf',
    compile: compileOcsf,
    document(batch: FlowBatch, i: number): Document {
      const v = viewOf(batch);
      const action = v.str('action', i);
      const doc: Obj = ocsfHead(action === 'ACCEPT' || action === 'REJECT' ? action : 'none');
      const start = v.num('start', i);
      const end = v.num('end', i);
      if (start !== null) doc.time = start * 1000;
      else if (end !== null) doc.time = end * 1000;
      if (start !== null) doc.start_time = start * 1000;
      if (end !== null) doc.end_time = end * 1000;
      if (start !== null && end !== null) doc.duration = (end - start) * 1000;
      const status = v.str('log_status', i);
      if (status !== null) doc.status_code = status;

      const product: Obj = { name: 'Amazon VPC', vendor_name: 'AWS' };
      const version = v.num('version', i);
      if (version !== null) product.version = String(version);
      const metadata: Obj = { product, version: OCSF_VERSION };
      const uid = v.str('record_uid', i);
      if (uid !== null) metadata.uid = uid;
      doc.metadata = metadata;

      const cloud: Obj = { provider: 'AWS' };
      const account = v.str('account_id', i);
      if (account !== null) cloud.account = { uid: account };
      const region = v.str('region', i);
      if (region !== null) cloud.region = region;
      const zone = v.str('az_id', i);
      if (zone !== null) cloud.zone = zone;
      doc.cloud = cloud;

      // Endpoints: the packet addresses, with the interface-side address as an intermediate hop.
      const srcEp: Obj = {};
      const dstEp: Obj = {};
      const src = v.srcAddr(i);
      const dst = v.dstAddr(i);
      if (src !== null) srcEp.ip = src;
      if (dst !== null) dstEp.ip = dst;
      const srcaddr = v.str('srcaddr', i);
      const dstaddr = v.str('dstaddr', i);
      if (srcaddr !== null && srcaddr !== src) srcEp.intermediate_ips = [srcaddr];
      if (dstaddr !== null && dstaddr !== dst) dstEp.intermediate_ips = [dstaddr];
      for (const [s, d, key] of OCSF_ENDPOINT_FIELDS) {
        const sv = v.col(s) ? cellAt(v.col(s)!, i) : null;
        const dv = v.col(d) ? cellAt(v.col(d)!, i) : null;
        if (sv !== null) put(srcEp, key, sv);
        if (dv !== null) put(dstEp, key, dv);
      }
      const direction = v.str('flow_direction', i);
      const eniSide = direction === 'ingress' ? dstEp : srcEp;
      for (const [column, key] of OCSF_ENI_FIELDS) {
        const value = v.str(column, i);
        if (value !== null) eniSide[key] = value;
      }
      if (Object.keys(srcEp).length > 0) doc.src_endpoint = srcEp;
      if (Object.keys(dstEp).length > 0) doc.dst_endpoint = dstEp;

      const conn: Obj = {};
      const proto = v.num('protocol', i);
      if (proto !== null) {
        conn.protocol_num = proto;
        const name = v.str('protocol_name', i) ?? protocolName(proto);
        if (name !== null) conn.protocol_name = name;
      }
      const flags = v.num('tcp_flags', i);
      if (flags !== null) conn.tcp_flags = flags;
      if (direction === 'ingress') Object.assign(conn, { direction_id: 1, direction: 'Inbound' });
      else if (direction === 'egress') Object.assign(conn, { direction_id: 2, direction: 'Outbound' });
      const path = v.num('traffic_path', i);
      if (path !== null) {
        const b = OCSF_BOUNDARY[path];
        Object.assign(
          conn,
          b ? { boundary_id: b[0], boundary: b[1] } : { boundary_id: 99, boundary: 'Other' },
        );
      }
      const community = v.str('community_id', i);
      if (community !== null) conn.community_uid = community;
      if (Object.keys(conn).length > 0) doc.connection_info = conn;

      const bytes = v.num('bytes', i);
      const packets = v.num('packets', i);
      if (bytes !== null || packets !== null) {
        const traffic: Obj = {};
        if (bytes !== null) traffic.bytes = bytes;
        if (packets !== null) traffic.packets = packets;
        doc.traffic = traffic;
      }

      const unmapped: Obj = {};
      for (let c = 0; c < batch.fields.length; c++) {
        const f = batch.fields[c]!;
        if (OCSF_CONSUMED.has(f.column)) continue;
        const value = cellAt(batch.columns[c]!, i);
        if (value !== null) unmapped[f.column] = value;
      }
      for (const [name, col] of batch.extra) {
        if (OCSF_CONSUMED.has(name)) continue;
        const value = cellAt(col, i);
        if (value !== null) unmapped[name] = value;
      }
      if (Object.keys(unmapped).length > 0) doc.unmapped = unmapped;
      return doc;
    },
  };
}
