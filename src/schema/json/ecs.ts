import type { Column, FlowBatch, StrColumn } from '../../batch/flow-batch.js';
import { protocolName } from '../../enrich/protocols.js';
import { ECS_CONSUMED, ECS_FIELDS, VPCFLOW_NAMES } from '../ecs.js';
import { addressFamily } from '../view.js';
import { type JsonBytes, keyBytes, utf8 } from './bytes.js';
import {
  type CellMember,
  cellMember,
  numTextMember,
  objectOrder,
  type PathTree,
  pathTree,
  StrFragments,
  treeMembers,
} from './cells.js';
import { asText, EitherFragments, Endpoint, numberColumn, perCode, textColumn } from './columns.js';
import type { RowJson } from './compile.js';

const EVENT_HEAD = {
  ACCEPT: '"kind":"event","category":["network"],"type":["connection","allowed"]',
  REJECT: '"kind":"event","category":["network"],"type":["connection","denied"]',
  other: '"kind":"event","category":["network"],"type":["connection"]',
};

/** The ECS document (`ecsDocumentSchema().document`) compiled for one batch, rule for rule. */
export function compileEcs(batch: FlowBatch): RowJson {
  const endValues = numberColumn(batch, 'end');
  const startValues = numberColumn(batch, 'start');
  const action = textColumn(batch, 'action');
  const src = new Endpoint(batch, 'pkt_srcaddr', 'srcaddr');
  const dst = new Endpoint(batch, 'pkt_dstaddr', 'dstaddr');
  const protocol = numberColumn(batch, 'protocol');
  const protocolNames = textColumn(batch, 'protocol_name');
  const type = textColumn(batch, 'type');
  const flowDirection = textColumn(batch, 'flow_direction');
  const flowClass = textColumn(batch, 'flow_class');
  const bytes = numberColumn(batch, 'bytes');
  const packets = numberColumn(batch, 'packets');

  // event: the head by action code, then action and outcome
  const heads = action
    ? perCode(
        action,
        (a) => {
          if (a === 'ACCEPT') return utf8(`${EVENT_HEAD.ACCEPT},"action":"ACCEPT","outcome":"success"`);
          if (a === 'REJECT') return utf8(`${EVENT_HEAD.REJECT},"action":"REJECT","outcome":"failure"`);
          return utf8(`${EVENT_HEAD.other},"action":${JSON.stringify(a)}`);
        },
        utf8(EVENT_HEAD.other),
      )
    : undefined;
  const noAction = utf8(EVENT_HEAD.other);

  // the table's columns, nested as setPath nests them
  const tree = pathTree(
    ECS_FIELDS.flatMap(([column, path]) => {
      const col = batch.column(column);
      return col ? [[path, col] as const] : [];
    }),
  );
  const sub = (key: string): PathTree | undefined => tree.get(key) as PathTree | undefined;
  const eventRest = treeMembers(sub('event'));
  const sourceRest = treeMembers(sub('source'));
  const destinationRest = treeMembers(sub('destination'));
  const cloudRest = treeMembers(sub('cloud'));
  const networkRest = treeMembers(sub('network'));
  // objects the table makes after `cloud`, in its order; `network` among them only when the
  // rules above left it out (an object keeps the place where its first member was set)
  const later: { network: boolean; member: CellMember }[] = [];
  for (const key of tree.keys()) {
    if (key === 'event' || key === 'source' || key === 'destination' || key === 'cloud') continue;
    later.push({ network: key === 'network', member: treeMembers(new Map([[key, tree.get(key)!]]))[0]! });
  }

  const K = {
    timestamp: keyBytes('@timestamp'),
    start: keyBytes('start'),
    end: keyBytes('end'),
    source: keyBytes('source'),
    destination: keyBytes('destination'),
    network: keyBytes('network'),
    iana: keyBytes('iana_number'),
    bytes: keyBytes('bytes'),
    packets: keyBytes('packets'),
    cloud: utf8('"cloud":{"provider":"aws"'),
    aws: utf8('"aws":{"vpcflow":'),
    related: utf8('"related":{"ip":['),
  };
  const eventKey = keyBytes('event');
  const address = new EitherFragments(keyBytes('address'));
  const ip = new EitherFragments(utf8(',"ip":'));
  const relatedIp = new EitherFragments(Buffer.alloc(0));
  const transport = protocolNames ? new StrFragments(protocolNames, keyBytes('transport')) : undefined;
  const transportByNumber = new Map<number, Buffer | null>();
  const transportOf = (p: number): Buffer | null => {
    let b = transportByNumber.get(p);
    if (b === undefined) {
      const name = protocolName(p);
      b = name === null ? null : utf8(`"transport":${JSON.stringify(name)}`);
      transportByNumber.set(p, b);
    }
    return b;
  };
  const iana = protocol ? numTextMember('iana_number', protocol) : undefined;
  const TYPE_IPV4 = utf8('"type":"ipv4"');
  const TYPE_IPV6 = utf8('"type":"ipv6"');
  const typeFamily = type
    ? perCode(type, (t) => (t === 'IPv4' ? TYPE_IPV4 : t === 'IPv6' ? TYPE_IPV6 : undefined), undefined)
    : undefined;
  const familyOf = (col: StrColumn, code: number): Buffer | null => {
    const f = addressFamily(col.dict[code]!);
    return f === 'ipv6' ? TYPE_IPV6 : f === 'ipv4' ? TYPE_IPV4 : null;
  };
  const direction = flowDirection ? new StrFragments(flowDirection, keyBytes('direction')) : undefined;
  const directionClass = flowClass ? new StrFragments(flowClass, keyBytes('direction')) : undefined;
  const vpcflow = compileVpcflow(batch, src, dst);

  /** `source` or `destination`: the address and ip from the row's address column, then the table's members. */
  const writeEndpoint = (
    out: JsonBytes,
    key: Uint8Array,
    col: StrColumn | undefined,
    rest: readonly CellMember[],
    i: number,
  ): void => {
    if (col === undefined) return;
    out.member(key);
    out.begin(0x7b);
    out.comma();
    address.write(out, col, col.codes[i]!);
    ip.write(out, col, col.codes[i]!);
    for (let m = 0; m < rest.length; m++) rest[m]!(out, i);
    out.end(0x7d);
  };

  return (out: JsonBytes, i: number): void => {
    out.begin(0x7b);
    const end = endValues === undefined ? Number.NaN : endValues[i]!;
    const start = startValues === undefined ? Number.NaN : startValues[i]!;
    if (!Number.isNaN(end)) {
      out.member(K.timestamp);
      out.time(end);
    } else if (!Number.isNaN(start)) {
      out.member(K.timestamp);
      out.time(start);
    }
    out.member(eventKey);
    out.begin(0x7b);
    out.frag(heads ? heads[action!.codes[i]!]! : noAction);
    out.first = false;
    if (!Number.isNaN(start)) {
      out.member(K.start);
      out.time(start);
    }
    if (!Number.isNaN(end)) {
      out.member(K.end);
      out.time(end);
    }
    for (let m = 0; m < eventRest.length; m++) eventRest[m]!(out, i);
    out.end(0x7d);

    const s = src.at(i);
    const d = dst.at(i);
    writeEndpoint(out, K.source, s, sourceRest, i);
    writeEndpoint(out, K.destination, d, destinationRest, i);

    // network: the rule fields; when there are none, the table's members come later on their own
    const mark = out.open(K.network);
    const proto = protocol === undefined ? Number.NaN : protocol[i]!;
    if (!Number.isNaN(proto)) {
      const nameCode = protocolNames === undefined ? 0 : protocolNames.codes[i]!;
      if (nameCode !== 0) {
        out.comma();
        transport!.write(out, nameCode);
      } else {
        const t = transportOf(proto);
        if (t !== null) {
          out.comma();
          out.frag(t);
        }
      }
      iana!(out, i);
    }
    let family: Buffer | null | undefined = typeFamily ? typeFamily[type!.codes[i]!] : undefined;
    if (family === undefined) {
      const a = s ?? d;
      family = a === undefined ? null : familyOf(a, a.codes[i]!);
    }
    if (family !== null) {
      out.comma();
      out.frag(family);
    }
    const dirCode = flowDirection === undefined ? 0 : flowDirection.codes[i]!;
    if (dirCode !== 0) {
      out.comma();
      direction!.write(out, dirCode);
    } else {
      const classCode = flowClass === undefined ? 0 : flowClass.codes[i]!;
      if (classCode !== 0) {
        out.comma();
        directionClass!.write(out, classCode);
      }
    }
    out.numMember(K.bytes, bytes === undefined ? Number.NaN : bytes[i]!);
    out.numMember(K.packets, packets === undefined ? Number.NaN : packets[i]!);
    const networkHere = !out.first;
    if (networkHere) for (let m = 0; m < networkRest.length; m++) networkRest[m]!(out, i);
    out.close(mark);

    out.comma();
    out.frag(K.cloud);
    out.first = false;
    for (let m = 0; m < cloudRest.length; m++) cloudRest[m]!(out, i);
    out.end(0x7d);

    for (let m = 0; m < later.length; m++) {
      const l = later[m]!;
      if (!l.network || !networkHere) l.member(out, i);
    }

    out.comma();
    out.frag(K.aws);
    vpcflow(out, i);
    out.end(0x7d);

    // related.ip: each address once, in the order source, destination, srcaddr, dstaddr
    const sa = src.addr !== undefined && src.addr.codes[i] !== 0 ? src.addr : undefined;
    const da = dst.addr !== undefined && dst.addr.codes[i] !== 0 ? dst.addr : undefined;
    if (s !== undefined || d !== undefined) {
      out.comma();
      out.frag(K.related);
      out.first = true;
      const sv = s === undefined ? null : s.dict[s.codes[i]!]!;
      const dv = d === undefined ? null : d.dict[d.codes[i]!]!;
      if (s !== undefined) {
        out.comma();
        relatedIp.write(out, s, s.codes[i]!);
      }
      if (d !== undefined && dv !== sv) {
        out.comma();
        relatedIp.write(out, d, d.codes[i]!);
      }
      if (sa !== undefined && sa !== s) {
        const v = sa.dict[sa.codes[i]!]!;
        if (v !== sv && v !== dv) {
          out.comma();
          relatedIp.write(out, sa, sa.codes[i]!);
        }
      }
      if (da !== undefined && da !== d) {
        const v = da.dict[da.codes[i]!]!;
        const sav = sa === undefined ? null : sa.dict[sa.codes[i]!]!;
        if (v !== sv && v !== dv && v !== sav) {
          out.comma();
          relatedIp.write(out, da, da.codes[i]!);
        }
      }
      out.byte(0x5d);
      out.end(0x7d);
    }
    out.end(0x7d);
  };
}

/**
 * `aws.vpcflow`: every record field the core fields do not consume, as text (numbers too), under
 * its column name or Elastic's; the interface-side address when the packet's replaced it; the
 * TCP flag names. Always an object, `{}` when empty.
 */
function compileVpcflow(batch: FlowBatch, src: Endpoint, dst: Endpoint): RowJson {
  const n = batch.length;
  // fields Elastic nests under one key (`sublocation.type`, `sublocation.id`)
  const groups = new Map<string, { leaf: string; column: Column }[]>();
  for (let c = 0; c < batch.fields.length; c++) {
    const name = VPCFLOW_NAMES.get(batch.fields[c]!.column);
    if (name?.length === 2) {
      const list = groups.get(name[0]!) ?? [];
      list.push({ leaf: name[1]!, column: batch.columns[c]! });
      groups.set(name[0]!, list);
    }
  }
  const entries: [string, CellMember][] = [];
  for (let c = 0; c < batch.fields.length; c++) {
    const column = batch.fields[c]!.column;
    const col = batch.columns[c]!;
    if (column === 'srcaddr' || column === 'dstaddr') {
      // a cell that is not text never equals the endpoint's text: always written
      if (col.kind !== 'str') entries.push([column, cellMember(column, col, false)]);
      else entries.push([column, interfaceAddress(column, column === 'srcaddr' ? src : dst)]);
    }
    if (ECS_CONSUMED.has(column)) continue;
    const name = VPCFLOW_NAMES.get(column);
    if (name === undefined) entries.push([column, textMember(column, col, n)]);
    else if (name.length === 1) entries.push([name[0]!, textMember(name[0]!, col, n)]);
    else {
      const group = groups.get(name[0]!)!;
      entries.push([
        name[0]!,
        groupMember(
          name[0]!,
          group,
          group.findIndex((g) => g.column === col),
          n,
        ),
      ]);
    }
  }
  const flagNames = batch.column('tcp_flag_names');
  if (flagNames !== undefined)
    entries.push(['tcp_flags_array', cellMember('tcp_flags_array', flagNames, false)]);
  const members = orderMembers(entries);
  return (out, i) => {
    out.begin(0x7b);
    for (let m = 0; m < members.length; m++) members[m]!(out, i);
    out.end(0x7d);
  };
}

/**
 * Members in the order an object assigned in this order lists them: keys that are array
 * indices first; a key given twice (only a group's several members) keeps each member, since
 * at most one of them writes for a row.
 */
function orderMembers(entries: readonly [string, CellMember][]): CellMember[] {
  const firstOf = new Map<string, number>();
  entries.forEach(([k], at) => {
    if (!firstOf.has(k)) firstOf.set(k, at);
  });
  const rank = new Map(objectOrder([...firstOf].map(([k, at]) => [k, at] as const)).map(([k], r) => [k, r]));
  return entries
    .map(([k, m], at) => ({ r: rank.get(k)!, at, m }))
    .sort((a, b) => a.r - b.r || a.at - b.at)
    .map((e) => e.m);
}

/** `srcaddr`/`dstaddr` under aws.vpcflow: written when the packet-level address replaced it. */
function interfaceAddress(key: string, side: Endpoint): CellMember {
  const addr = side.addr!;
  const f = new StrFragments(addr, keyBytes(key));
  return (out, i) => {
    const code = addr.codes[i]!;
    if (code === 0) return;
    const packet = side.at(i);
    if (packet === addr || (packet !== undefined && packet.dict[packet.codes[i]!] === addr.dict[code]))
      return;
    out.comma();
    f.write(out, code);
  };
}

/** A record field as a keyword: numbers as their text, lists as arrays, nulls left out. */
function textMember(key: string, col: Column, length: number): CellMember {
  if (col.kind === 'num') return numTextMember(key, col.values);
  if (col.kind === 'list') return cellMember(key, col, false);
  return cellMember(key, asText(col, length), false);
}

/**
 * Member `at` of a nested group (`sublocation`): the whole object, written at the place of its
 * first member present in the row (where setPath creates it).
 */
function groupMember(
  head: string,
  group: readonly { leaf: string; column: Column }[],
  at: number,
  length: number,
): CellMember {
  const k = keyBytes(head);
  const members = group.map((g) => textMember(g.leaf, g.column, length));
  const earlier = group.slice(0, at).map((g) => g.column);
  const self = group[at]!.column;
  return (out, i) => {
    if (!present(self, i)) return;
    for (const c of earlier) if (present(c, i)) return;
    const mark = out.open(k);
    for (let m = 0; m < members.length; m++) members[m]!(out, i);
    out.close(mark);
  };
}

function present(col: Column, i: number): boolean {
  if (col.kind === 'num') return !Number.isNaN(col.values[i]);
  if (col.kind === 'str') return col.codes[i] !== 0;
  return col.values[i] !== null && col.values[i] !== undefined;
}
