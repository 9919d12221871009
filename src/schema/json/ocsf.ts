import type { Column, FlowBatch } from '../../batch/flow-batch.js';
import { protocolName } from '../../enrich/protocols.js';
import {
  OCSF_BOUNDARY,
  OCSF_CONSUMED,
  OCSF_ENDPOINT_FIELDS,
  OCSF_ENI_FIELDS,
  OCSF_VERSION,
  ocsfHead,
} from '../ocsf.js';
import { type JsonBytes, keyBytes, utf8 } from './bytes.js';
import {
  type CellMember,
  cellMember,
  numTextMember,
  objectOrder,
  pathTree,
  StrFragments,
  treeMembers,
} from './cells.js';
import { EitherFragments, Endpoint, numberColumn, perCode, textColumn } from './columns.js';
import type { RowJson } from './compile.js';

/** The head every document starts with, by action. */
function head(kind: 'ACCEPT' | 'REJECT' | 'none'): Buffer {
  // the members without the braces
  return utf8(JSON.stringify(ocsfHead(kind)).slice(1, -1));
}

/** One endpoint object's members: the table's, then the ENI's own when this is its side. */
function endpointMembers(batch: FlowBatch, side: 0 | 1): { table: CellMember[]; eni: CellMember[] } {
  const entries: [string, Column][] = [];
  for (const fields of OCSF_ENDPOINT_FIELDS) {
    const col = batch.column(fields[side]);
    if (col) entries.push([fields[2], col]);
  }
  const eni: CellMember[] = [];
  for (const [column, key] of OCSF_ENI_FIELDS) {
    const col = textColumn(batch, column);
    if (col) eni.push(cellMember(key, col, false));
  }
  return { table: treeMembers(pathTree(entries)), eni };
}

/** The OCSF document (`ocsfDocumentSchema().document`) compiled for one batch, rule for rule. */
export function compileOcsf(batch: FlowBatch): RowJson {
  const action = textColumn(batch, 'action');
  const heads = { ACCEPT: head('ACCEPT'), REJECT: head('REJECT'), none: head('none') };
  const headOf = action
    ? perCode(action, (a) => (a === 'ACCEPT' || a === 'REJECT' ? heads[a] : heads.none), heads.none)
    : undefined;
  const start = numberColumn(batch, 'start');
  const end = numberColumn(batch, 'end');
  const status = textColumn(batch, 'log_status');
  const statusF = status ? new StrFragments(status, keyBytes('status_code')) : undefined;
  const version = numberColumn(batch, 'version');
  const productVersion = version ? numTextMember('version', version) : undefined;
  const uid = textColumn(batch, 'record_uid');
  const uidF = uid ? new StrFragments(uid, keyBytes('uid')) : undefined;
  const account = textColumn(batch, 'account_id');
  const accountF = account ? new StrFragments(account, utf8('"account":{"uid":')) : undefined;
  const region = textColumn(batch, 'region');
  const regionF = region ? new StrFragments(region, keyBytes('region')) : undefined;
  const zone = textColumn(batch, 'az_id');
  const zoneF = zone ? new StrFragments(zone, keyBytes('zone')) : undefined;
  const src = new Endpoint(batch, 'pkt_srcaddr', 'srcaddr');
  const dst = new Endpoint(batch, 'pkt_dstaddr', 'dstaddr');
  const ip = new EitherFragments(keyBytes('ip'));
  const hop = new EitherFragments(utf8('"intermediate_ips":['));
  const srcMembers = endpointMembers(batch, 0);
  const dstMembers = endpointMembers(batch, 1);
  const direction = textColumn(batch, 'flow_direction');
  const ingress = direction ? perCode(direction, (d) => d === 'ingress', false) : undefined;
  const connDirection = direction
    ? perCode(
        direction,
        (d) =>
          d === 'ingress'
            ? utf8('"direction_id":1,"direction":"Inbound"')
            : d === 'egress'
              ? utf8('"direction_id":2,"direction":"Outbound"')
              : undefined,
        undefined,
      )
    : undefined;
  const protocol = numberColumn(batch, 'protocol');
  const protocolNames = textColumn(batch, 'protocol_name');
  const protocolNameF = protocolNames
    ? new StrFragments(protocolNames, keyBytes('protocol_name'))
    : undefined;
  const nameByNumber = new Map<number, Buffer | null>();
  const tcpFlags = numberColumn(batch, 'tcp_flags');
  const trafficPath = numberColumn(batch, 'traffic_path');
  const community = textColumn(batch, 'community_id');
  const communityF = community ? new StrFragments(community, keyBytes('community_uid')) : undefined;
  const bytes = numberColumn(batch, 'bytes');
  const packets = numberColumn(batch, 'packets');
  const unmapped: [string, Column][] = [];
  for (let c = 0; c < batch.fields.length; c++) {
    const column = batch.fields[c]!.column;
    if (!OCSF_CONSUMED.has(column)) unmapped.push([column, batch.columns[c]!]);
  }
  for (const [name, col] of batch.extra) if (!OCSF_CONSUMED.has(name)) unmapped.push([name, col]);
  const unmappedMembers = objectOrder(unmapped).map(([key, col]) => cellMember(key, col, false));

  const K = {
    time: keyBytes('time'),
    startTime: keyBytes('start_time'),
    endTime: keyBytes('end_time'),
    duration: keyBytes('duration'),
    metadata: utf8(`"metadata":{"product":{"name":"Amazon VPC","vendor_name":"AWS"`),
    metadataVersion: utf8(`},"version":${JSON.stringify(OCSF_VERSION)}`),
    cloud: utf8('"cloud":{"provider":"AWS"'),
    src: keyBytes('src_endpoint'),
    dst: keyBytes('dst_endpoint'),
    conn: keyBytes('connection_info'),
    protocolNum: keyBytes('protocol_num'),
    tcpFlags: keyBytes('tcp_flags'),
    traffic: keyBytes('traffic'),
    bytes: keyBytes('bytes'),
    packets: keyBytes('packets'),
    unmapped: keyBytes('unmapped'),
  };
  const boundaries = new Map<number, Buffer>();
  const boundaryOf = (path: number): Buffer => {
    let b = boundaries.get(path);
    if (b === undefined) {
      const known = OCSF_BOUNDARY[path];
      b = utf8(
        known
          ? `"boundary_id":${known[0]},"boundary":${JSON.stringify(known[1])}`
          : '"boundary_id":99,"boundary":"Other"',
      );
      boundaries.set(path, b);
    }
    return b;
  };

  return (out: JsonBytes, i: number): void => {
    out.begin(0x7b);
    out.frag(headOf ? headOf[action!.codes[i]!]! : heads.none);
    out.first = false;
    const s = start === undefined ? Number.NaN : start[i]!;
    const e = end === undefined ? Number.NaN : end[i]!;
    out.numMember(K.time, (Number.isNaN(s) ? e : s) * 1000);
    out.numMember(K.startTime, s * 1000);
    out.numMember(K.endTime, e * 1000);
    out.numMember(K.duration, (e - s) * 1000);
    if (statusF !== undefined && status!.codes[i] !== 0) {
      out.comma();
      statusF.write(out, status!.codes[i]!);
    }

    out.comma();
    out.frag(K.metadata);
    out.first = false;
    if (productVersion !== undefined) productVersion(out, i);
    out.frag(K.metadataVersion);
    if (uidF !== undefined && uid!.codes[i] !== 0) {
      out.comma();
      uidF.write(out, uid!.codes[i]!);
    }
    out.end(0x7d);

    out.comma();
    out.frag(K.cloud);
    out.first = false;
    if (accountF !== undefined && account!.codes[i] !== 0) {
      out.comma();
      accountF.write(out, account!.codes[i]!);
      out.byte(0x7d);
    }
    if (regionF !== undefined && region!.codes[i] !== 0) {
      out.comma();
      regionF.write(out, region!.codes[i]!);
    }
    if (zoneF !== undefined && zone!.codes[i] !== 0) {
      out.comma();
      zoneF.write(out, zone!.codes[i]!);
    }
    out.end(0x7d);

    // endpoints: the packet address, the interface-side one as an intermediate hop
    const toDst = ingress !== undefined && ingress[direction!.codes[i]!] === true;
    for (let side = 0; side < 2; side++) {
      const ep = side === 0 ? src : dst;
      const members = side === 0 ? srcMembers : dstMembers;
      const mark = out.open(side === 0 ? K.src : K.dst);
      const a = ep.at(i);
      if (a !== undefined) {
        out.comma();
        ip.write(out, a, a.codes[i]!);
      }
      const own = ep.addr;
      if (own !== undefined && own.codes[i] !== 0 && own !== a) {
        if (a === undefined || a.dict[a.codes[i]!] !== own.dict[own.codes[i]!]) {
          out.comma();
          hop.write(out, own, own.codes[i]!);
          out.byte(0x5d);
        }
      }
      for (let m = 0; m < members.table.length; m++) members.table[m]!(out, i);
      if (toDst === (side === 1)) for (let m = 0; m < members.eni.length; m++) members.eni[m]!(out, i);
      out.close(mark);
    }

    const conn = out.open(K.conn);
    const proto = protocol === undefined ? Number.NaN : protocol[i]!;
    if (!Number.isNaN(proto)) {
      out.member(K.protocolNum);
      out.num(proto);
      const nameCode = protocolNames === undefined ? 0 : protocolNames.codes[i]!;
      if (nameCode !== 0) {
        out.comma();
        protocolNameF!.write(out, nameCode);
      } else {
        let name = nameByNumber.get(proto);
        if (name === undefined) {
          const n = protocolName(proto);
          name = n === null ? null : utf8(`"protocol_name":${JSON.stringify(n)}`);
          nameByNumber.set(proto, name);
        }
        if (name !== null) {
          out.comma();
          out.frag(name);
        }
      }
    }
    out.numMember(K.tcpFlags, tcpFlags === undefined ? Number.NaN : tcpFlags[i]!);
    const dir = connDirection === undefined ? undefined : connDirection[direction!.codes[i]!];
    if (dir !== undefined) {
      out.comma();
      out.frag(dir);
    }
    const path = trafficPath === undefined ? Number.NaN : trafficPath[i]!;
    if (!Number.isNaN(path)) {
      out.comma();
      out.frag(boundaryOf(path));
    }
    if (communityF !== undefined && community!.codes[i] !== 0) {
      out.comma();
      communityF.write(out, community!.codes[i]!);
    }
    out.close(conn);

    const traffic = out.open(K.traffic);
    out.numMember(K.bytes, bytes === undefined ? Number.NaN : bytes[i]!);
    out.numMember(K.packets, packets === undefined ? Number.NaN : packets[i]!);
    out.close(traffic);

    const rest = out.open(K.unmapped);
    for (let m = 0; m < unmappedMembers.length; m++) unmappedMembers[m]!(out, i);
    out.close(rest);
    out.end(0x7d);
  };
}
