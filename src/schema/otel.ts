import {
  type Column,
  cellAt,
  type FlowBatch,
  type NumColumn,
  numAt,
  type StrColumn,
  strAt,
} from '../batch/flow-batch.js';
import { otelTransport, protocolName } from '../enrich/protocols.js';
import type { FieldDef } from '../fields/catalog.js';
import { compileOtel } from './json/otel.js';
import { summaryLine } from './summary.js';
import type {
  AttributeWriter,
  Document,
  DocumentSchema,
  OtelColumnOp,
  OtelMapping,
  OtelPlan,
  OtelPlanner,
  OtelStrSource,
  SchemaOptions,
} from './types.js';
import { addressFamily, type BatchView, ENDPOINT_RULE_COLUMNS, isoTime, viewOf } from './view.js';

/**
 * The OpenTelemetry log-record mapping, after the OpenTelemetry Collector's VPC flow log
 * unmarshaler (awslogs_encoding, vpcflow): one record per flow-log line, time = `end`, `-`
 * values left out. Attribute names the Collector does not define (TGW resource type, v10/v11
 * fields, enrichments) follow its `aws.vpc.flow.*` pattern or the semantic conventions.
 */

/** How a plain field's value is written. */
export type AttrKind = 'str' | 'int' | 'dbl' | 'strArray' | 'intText';

/** One-to-one mappings: record or enrichment column → attribute. The rest is in `attributes` below. */
export const OTEL_ATTRIBUTES: readonly (readonly [column: string, attribute: string, kind: AttrKind])[] = [
  ['version', 'aws.vpc.flow.log.version', 'int'],
  ['interface_id', 'network.interface.name', 'str'],
  ['srcport', 'source.port', 'int'],
  ['dstport', 'destination.port', 'int'],
  ['packets', 'aws.vpc.flow.packets', 'int'],
  ['bytes', 'aws.vpc.flow.bytes', 'int'],
  ['start', 'aws.vpc.flow.start', 'int'],
  ['end', 'aws.vpc.flow.end', 'int'],
  ['action', 'aws.vpc.flow.action', 'str'],
  ['log_status', 'aws.vpc.flow.status', 'str'],
  ['vpc_id', 'aws.vpc.id', 'str'],
  ['subnet_id', 'aws.vpc.subnet.id', 'str'],
  ['instance_id', 'host.id', 'str'],
  ['tcp_flags', 'network.tcp.flags', 'int'],
  ['az_id', 'aws.az.id', 'str'],
  ['sublocation_type', 'aws.sublocation.type', 'str'],
  ['sublocation_id', 'aws.sublocation.id', 'str'],
  ['pkt_src_aws_service', 'aws.vpc.flow.source.service', 'str'],
  ['pkt_dst_aws_service', 'aws.vpc.flow.destination.service', 'str'],
  ['traffic_path', 'aws.vpc.flow.traffic_path', 'intText'],
  ['resource_type', 'aws.vpc.flow.resource_type', 'str'],
  ['tgw_id', 'aws.tgw.id', 'str'],
  ['tgw_attachment_id', 'aws.tgw.attachment.id', 'str'],
  ['tgw_pair_attachment_id', 'aws.tgw.attachment.pair.id', 'str'],
  ['tgw_src_vpc_account_id', 'aws.tgw.source.vpc.account.id', 'str'],
  ['tgw_dst_vpc_account_id', 'aws.tgw.destination.vpc.account.id', 'str'],
  ['tgw_src_vpc_id', 'aws.tgw.source.vpc.id', 'str'],
  ['tgw_dst_vpc_id', 'aws.tgw.destination.vpc.id', 'str'],
  ['tgw_src_subnet_id', 'aws.tgw.source.vpc.subnet.id', 'str'],
  ['tgw_dst_subnet_id', 'aws.tgw.destination.vpc.subnet.id', 'str'],
  ['tgw_src_eni', 'aws.tgw.source.eni.id', 'str'],
  ['tgw_dst_eni', 'aws.tgw.destination.eni.id', 'str'],
  ['tgw_src_az_id', 'aws.tgw.source.az.id', 'str'],
  ['tgw_dst_az_id', 'aws.tgw.destination.az.id', 'str'],
  ['packets_lost_no_route', 'aws.vpc.flow.packets_lost_no_route', 'int'],
  ['packets_lost_blackhole', 'aws.vpc.flow.packets_lost_blackhole', 'int'],
  ['packets_lost_mtu_exceeded', 'aws.vpc.flow.packets_lost_mtu_exceeded', 'int'],
  ['packets_lost_ttl_expired', 'aws.vpc.flow.packets_lost_ttl_expired', 'int'],
  ['ecs_cluster_arn', 'aws.ecs.cluster.arn', 'str'],
  ['ecs_cluster_name', 'aws.ecs.cluster.name', 'str'],
  ['ecs_container_instance_arn', 'aws.ecs.container.instance.arn', 'str'],
  ['ecs_container_instance_id', 'aws.ecs.container.instance.id', 'str'],
  ['ecs_container_id', 'aws.ecs.container.id', 'str'],
  ['ecs_second_container_id', 'aws.ecs.second.container.id', 'str'],
  ['ecs_service_name', 'aws.ecs.service.name', 'str'],
  ['ecs_task_definition_arn', 'aws.ecs.task.definition.arn', 'str'],
  ['ecs_task_arn', 'aws.ecs.task.arn', 'str'],
  ['ecs_task_id', 'aws.ecs.task.id', 'str'],
  ['reject_reason', 'aws.vpc.flow.reject_reason', 'str'],
  ['resource_id', 'aws.vpc.flow.resource_id', 'str'],
  ['encryption_status', 'aws.vpc.flow.encryption_status', 'int'],
  ['interface_type', 'aws.vpc.flow.interface_type', 'str'],
  ['next_hop_interface_id', 'aws.vpc.flow.next_hop.interface.id', 'str'],
  ['next_hop_subnet_id', 'aws.vpc.flow.next_hop.subnet.id', 'str'],
  ['next_hop_az_id', 'aws.vpc.flow.next_hop.az.id', 'str'],
  ['next_hop_vpc_id', 'aws.vpc.flow.next_hop.vpc.id', 'str'],
  ['next_hop_interface_type', 'aws.vpc.flow.next_hop.interface.type', 'str'],
  ['instance_tag', 'aws.vpc.flow.instance_tag', 'str'],
  ['interface_tag', 'aws.vpc.flow.interface_tag', 'str'],
  // enrichments
  ['tcp_flag_names', 'network.tcp.flags.names', 'strArray'],
  ['community_id', 'network.community_id', 'str'],
  ['record_uid', 'log.record.uid', 'str'],
  ['src_network_class', 'flowlens.source.network.class', 'str'],
  ['dst_network_class', 'flowlens.destination.network.class', 'str'],
  ['flow_class', 'flowlens.flow.class', 'str'],
  ['src_country', 'source.geo.country.iso_code', 'str'],
  ['src_city', 'source.geo.locality.name', 'str'],
  ['src_lat', 'source.geo.location.lat', 'dbl'],
  ['src_lon', 'source.geo.location.lon', 'dbl'],
  ['src_asn', 'source.as.number', 'int'],
  ['src_as_org', 'source.as.organization.name', 'str'],
  ['dst_country', 'destination.geo.country.iso_code', 'str'],
  ['dst_city', 'destination.geo.locality.name', 'str'],
  ['dst_lat', 'destination.geo.location.lat', 'dbl'],
  ['dst_lon', 'destination.geo.location.lon', 'dbl'],
  ['dst_asn', 'destination.as.number', 'int'],
  ['dst_as_org', 'destination.as.organization.name', 'str'],
];

/** Columns consumed by the rules in `attributes` and `resource` rather than the table. */
const SPECIAL = new Set([...ENDPOINT_RULE_COLUMNS, 'type', 'flow_direction', 'account_id', 'region']);

const IO_DIRECTION = new Map([
  ['egress', 'transmit'],
  ['ingress', 'receive'],
]);

const severityNumberOf = (action: string | null): number => (action === 'REJECT' ? 13 : 9);
const severityTextOf = (action: string | null): string => (action === 'REJECT' ? 'WARN' : 'INFO');

/**
 * The account and region columns of a batch, for its resource: lighter than `resolve` (which
 * a transcoded batch, holding only these columns, would make for nothing), kept for the last
 * batch since the encoders ask row after row.
 */
let resourceBatch: FlowBatch | undefined;
let resourceOfBatch: { account: Column | undefined; region: Column | undefined } = {
  account: undefined,
  region: undefined,
};
function resourceColumns(batch: FlowBatch): typeof resourceOfBatch {
  if (batch !== resourceBatch) {
    resourceBatch = batch;
    resourceOfBatch = { account: batch.column('account_id'), region: batch.column('region') };
  }
  return resourceOfBatch;
}

interface Resolved {
  readonly view: BatchView;
  /** [attribute, column, kind] of the table rows present in this batch, then unknown fields. */
  readonly plain: readonly (readonly [string, Column, AttrKind])[];
  /** The columns the rules read, looked up once per batch. */
  readonly srcaddr: Column | undefined;
  readonly dstaddr: Column | undefined;
  readonly pktSrc: Column | undefined;
  readonly pktDst: Column | undefined;
  readonly protocol: Column | undefined;
  readonly protocolName: Column | undefined;
  readonly type: Column | undefined;
  readonly direction: Column | undefined;
  readonly account: Column | undefined;
  readonly region: Column | undefined;
  readonly action: Column | undefined;
}

const TABLE_COLUMNS = new Set(OTEL_ATTRIBUTES.map(([c]) => c));
const resolvedOf = new WeakMap<FlowBatch, Resolved>();

// The encoders call the mapping for every row of one batch in turn: remember the last one.
let lastBatch: FlowBatch | undefined;
let lastResolved: Resolved | undefined;

function resolve(batch: FlowBatch): Resolved {
  if (batch === lastBatch && lastResolved) return lastResolved;
  let r = resolvedOf.get(batch);
  if (r) {
    lastBatch = batch;
    lastResolved = r;
    return r;
  }
  const plain: [string, Column, AttrKind][] = [];
  for (const [column, attribute, kind] of OTEL_ATTRIBUTES) {
    const col = batch.column(column);
    if (col) plain.push([attribute, col, kind]);
  }
  // Fields flowlens does not know (from a header or --format) keep their values as text.
  for (let c = 0; c < batch.fields.length; c++) {
    const f = batch.fields[c]!;
    if (!TABLE_COLUMNS.has(f.column) && !SPECIAL.has(f.column))
      plain.push([`aws.vpc.flow.${f.column}`, batch.columns[c]!, 'str']);
  }
  r = {
    view: viewOf(batch),
    plain,
    srcaddr: batch.column('srcaddr'),
    dstaddr: batch.column('dstaddr'),
    pktSrc: batch.column('pkt_srcaddr'),
    pktDst: batch.column('pkt_dstaddr'),
    protocol: batch.column('protocol'),
    protocolName: batch.column('protocol_name'),
    type: batch.column('type'),
    direction: batch.column('flow_direction'),
    account: batch.column('account_id'),
    region: batch.column('region'),
    action: batch.column('action'),
  };
  resolvedOf.set(batch, r);
  lastBatch = batch;
  lastResolved = r;
  return r;
}

function writeValue(out: AttributeWriter, key: string, col: Column, i: number, kind: AttrKind): void {
  const v = cellAt(col, i);
  if (v === null) return;
  switch (kind) {
    case 'int':
      if (typeof v === 'number') out.int(key, v);
      else if (typeof v === 'string' && /^-?\d+$/.test(v)) out.int(key, Number(v));
      else out.str(key, String(v));
      return;
    case 'dbl':
      if (typeof v === 'number') out.dbl(key, v);
      return;
    case 'strArray':
      if (Array.isArray(v)) out.strArray(key, v);
      return;
    case 'intText':
      out.str(key, String(v));
      return;
    default:
      out.str(key, Array.isArray(v) ? v.join(',') : String(v));
  }
}

export function otelMapping(options: SchemaOptions = {}): OtelMapping & OtelPlanner {
  const timeField = options.timeField ?? 'end';
  const body = options.body ?? 'line';
  // The encoder asks once per batch; keep the last plan for a second caller on the same batch.
  let planBatch: FlowBatch | undefined;
  let lastPlan: OtelPlan | null = null;
  return {
    plan(batch) {
      if (batch !== planBatch) {
        lastPlan = compilePlan(batch, resolve(batch), timeField, body);
        planBatch = batch;
      }
      return lastPlan;
    },
    resourceKey(batch, i) {
      const r = resourceColumns(batch);
      // The source's log group/stream or bucket/key are resource attributes too, so they split groups.
      const ctx = batch.source.context;
      const origin = ctx
        ? `${ctx.logGroup ?? ''}\u0000${ctx.logStream ?? ''}\u0000${ctx.bucket ?? ''}\u0000${ctx.key ?? ''}`
        : '';
      return `${strAt(r.account, i) ?? ''}\u0000${strAt(r.region, i) ?? ''}\u0000${origin}`;
    },
    resource(batch, i, out) {
      const r = resourceColumns(batch);
      out.str('cloud.provider', 'aws');
      const account = strAt(r.account, i);
      if (account !== null) out.str('cloud.account.id', account);
      const region = strAt(r.region, i);
      if (region !== null) out.str('cloud.region', region);
      const ctx = batch.source.context;
      if (ctx?.logGroup) out.strArray('aws.log.group.names', [ctx.logGroup]);
      if (ctx?.logStream) out.strArray('aws.log.stream.names', [ctx.logStream]);
      if (ctx?.bucket) out.str('aws.s3.bucket', ctx.bucket);
      if (ctx?.key) out.str('aws.s3.key', ctx.key);
    },
    timeSeconds(batch, i) {
      const v = resolve(batch).view;
      return v.num(timeField, i) ?? v.num(timeField === 'end' ? 'start' : 'end', i);
    },
    severityNumber(batch, i) {
      return severityNumberOf(strAt(resolve(batch).action, i));
    },
    severityText(batch, i) {
      return severityTextOf(strAt(resolve(batch).action, i));
    },
    body(batch, i) {
      if (body === 'none') return null;
      if (body === 'summary') return summaryLine(resolve(batch).view, i);
      return batch.line(i);
    },
    attributes(batch, i, out) {
      const r = resolve(batch);
      const srcaddr = strAt(r.srcaddr, i);
      const dstaddr = strAt(r.dstaddr, i);
      const src = strAt(r.pktSrc, i) ?? srcaddr;
      const dst = strAt(r.pktDst, i) ?? dstaddr;
      if (src !== null) out.str('source.address', src);
      if (dst !== null) out.str('destination.address', dst);
      const direction = strAt(r.direction, i);
      const local = localAddress(srcaddr, src, dstaddr, dst, direction);
      if (local !== null) out.str('network.local.address', local);
      const proto = numAt(r.protocol, i);
      if (proto !== null) {
        const name = strAt(r.protocolName, i) ?? protocolName(proto);
        if (name !== null) out.str('network.protocol.name', name);
        const transport = otelTransport(proto);
        if (transport !== null) out.str('network.transport', transport);
      }
      const type = strAt(r.type, i);
      if (type === 'IPv4' || type === 'IPv6') out.str('network.type', type === 'IPv4' ? 'ipv4' : 'ipv6');
      else if (type !== null) out.str('aws.vpc.flow.type', type);
      else {
        const family = addressFamily(src ?? dst);
        if (family !== null) out.str('network.type', family);
      }
      if (direction !== null) out.str('network.io.direction', IO_DIRECTION.get(direction) ?? direction);
      for (const [key, col, kind] of r.plain) writeValue(out, key, col, i, kind);
    },
  };
}

/** The interface-side address, when it is not the packet's: the ENI's own for its direction. */
function localAddress(
  srcaddr: string | null,
  src: string | null,
  dstaddr: string | null,
  dst: string | null,
  direction: string | null,
): string | null {
  const srcDiffers = srcaddr !== null && srcaddr !== src;
  const dstDiffers = dstaddr !== null && dstaddr !== dst;
  if (srcDiffers && (direction !== 'ingress' || !dstDiffers)) return srcaddr;
  if (dstDiffers) return dstaddr;
  return null;
}

const isStr = (c: Column | undefined): c is StrColumn => c !== undefined && c.kind === 'str';

/** String sources for `key` from the present columns, or null when one of them is not a dictionary column. */
function strSources(
  key: string,
  columns: readonly (Column | undefined)[],
  entry?: (value: string) => readonly [string, string] | null,
): OtelStrSource[] | null {
  const out: OtelStrSource[] = [];
  for (const c of columns) {
    if (c === undefined) continue;
    if (!isStr(c)) return null;
    out.push(entry ? { column: c, key, entry } : { column: c, key });
  }
  return out;
}

// Entries are asked for once per dictionary code: the common ones are constants, so an encoder
// can recognise an entry it has already encoded by identity.
const IPV4_ENTRY: readonly [string, string] = ['network.type', 'ipv4'];
const IPV6_ENTRY: readonly [string, string] = ['network.type', 'ipv6'];
const DIRECTION_ENTRIES = new Map<string, readonly [string, string]>(
  [...IO_DIRECTION].map(([flow, io]) => [flow, ['network.io.direction', io]]),
);
const familyEntry = (value: string): readonly [string, string] | null => {
  const f = addressFamily(value);
  return f === null ? null : f === 'ipv4' ? IPV4_ENTRY : IPV6_ENTRY;
};
const typeEntry = (value: string): readonly [string, string] =>
  value === 'IPv4' ? IPV4_ENTRY : value === 'IPv6' ? IPV6_ENTRY : ['aws.vpc.flow.type', value];
const directionEntry = (value: string): readonly [string, string] =>
  DIRECTION_ENTRIES.get(value) ?? ['network.io.direction', value];

/**
 * The `attributes` visitor as column operations for one batch, rule for rule and in the same
 * order; a rule whose columns are not of the expected kind falls back to a per-row op.
 */
function compileAttributes(r: Resolved): OtelColumnOp[] {
  const ops: OtelColumnOp[] = [];
  const str = (key: string, cols: readonly (Column | undefined)[], row: OtelColumnOp): void => {
    const sources = strSources(key, cols);
    if (sources === null) ops.push(row);
    else if (sources.length > 0) ops.push({ kind: 'str', sources });
  };
  str('source.address', [r.pktSrc, r.srcaddr], {
    kind: 'row',
    write(i, out) {
      const v = strAt(r.pktSrc, i) ?? strAt(r.srcaddr, i);
      if (v !== null) out.str('source.address', v);
    },
  });
  str('destination.address', [r.pktDst, r.dstaddr], {
    kind: 'row',
    write(i, out) {
      const v = strAt(r.pktDst, i) ?? strAt(r.dstaddr, i);
      if (v !== null) out.str('destination.address', v);
    },
  });
  // Without packet-level addresses the interface's are the packet's: no local address.
  if (r.pktSrc !== undefined || r.pktDst !== undefined) {
    const { srcaddr, dstaddr, pktSrc, pktDst, direction } = r;
    if (
      isStr(srcaddr) &&
      isStr(dstaddr) &&
      (pktSrc === undefined || isStr(pktSrc)) &&
      (pktDst === undefined || isStr(pktDst)) &&
      (direction === undefined || isStr(direction))
    ) {
      ops.push({
        kind: 'pick',
        key: 'network.local.address',
        columns: [srcaddr, dstaddr],
        choose(i) {
          const s = strAt(srcaddr, i);
          const d = strAt(dstaddr, i);
          const local = localAddress(s, strAt(pktSrc, i) ?? s, d, strAt(pktDst, i) ?? d, strAt(direction, i));
          return local === null ? -1 : local === s ? 0 : 1;
        },
      });
    } else {
      ops.push({
        kind: 'row',
        write(i, out) {
          const s = strAt(srcaddr, i);
          const d = strAt(dstaddr, i);
          const local = localAddress(s, strAt(pktSrc, i) ?? s, d, strAt(pktDst, i) ?? d, strAt(direction, i));
          if (local !== null) out.str('network.local.address', local);
        },
      });
    }
  }
  const proto = r.protocol;
  if (proto !== undefined && proto.kind === 'num') {
    const names = r.protocolName;
    if (names === undefined || isStr(names)) {
      ops.push({
        kind: 'numText',
        key: 'network.protocol.name',
        values: proto.values,
        ...(names ? { override: names } : {}),
        text: protocolName,
      });
      ops.push({ kind: 'numText', key: 'network.transport', values: proto.values, text: otelTransport });
    } else {
      ops.push({
        kind: 'row',
        write(i, out) {
          const p = numAt(proto, i);
          if (p === null) return;
          const name = strAt(names, i) ?? protocolName(p);
          if (name !== null) out.str('network.protocol.name', name);
          const transport = otelTransport(p);
          if (transport !== null) out.str('network.transport', transport);
        },
      });
    }
  }
  const typeSources = strSources('network.type', [r.type], typeEntry);
  const familySources = strSources('network.type', [r.pktSrc, r.srcaddr, r.pktDst, r.dstaddr], familyEntry);
  if (typeSources === null || familySources === null) {
    ops.push({
      kind: 'row',
      write(i, out) {
        const type = strAt(r.type, i);
        if (type !== null) {
          const [k, v] = typeEntry(type);
          out.str(k, v);
          return;
        }
        const family = addressFamily(
          strAt(r.pktSrc, i) ?? strAt(r.srcaddr, i) ?? strAt(r.pktDst, i) ?? strAt(r.dstaddr, i),
        );
        if (family !== null) out.str('network.type', family);
      },
    });
  } else if (typeSources.length + familySources.length > 0) {
    ops.push({ kind: 'str', sources: [...typeSources, ...familySources] });
  }
  const directionSources = strSources('network.io.direction', [r.direction], directionEntry);
  if (directionSources === null) {
    ops.push({
      kind: 'row',
      write(i, out) {
        const d = strAt(r.direction, i);
        if (d !== null) out.str('network.io.direction', IO_DIRECTION.get(d) ?? d);
      },
    });
  } else if (directionSources.length > 0) ops.push({ kind: 'str', sources: directionSources });
  for (const [key, col, kind] of r.plain) ops.push(plainOp(key, col, kind));
  return ops;
}

/** One row of the attribute table as a column op (writeValue's rules, per column kind). */
function plainOp(key: string, col: Column, kind: AttrKind): OtelColumnOp {
  if (col.kind === 'num') {
    if (kind === 'int') return { kind: 'int', key, values: col.values };
    if (kind === 'dbl') return { kind: 'dbl', key, values: col.values };
    if (kind === 'str' || kind === 'intText')
      return { kind: 'numText', key, values: col.values, text: String };
  } else if (col.kind === 'str' && (kind === 'str' || kind === 'intText')) {
    return { kind: 'str', sources: [{ column: col, key }] };
  } else if (col.kind === 'list' && kind === 'strArray') {
    return { kind: 'strList', key, values: col.values };
  }
  return { kind: 'row', write: (i, out) => writeValue(out, key, col, i, kind) };
}

function compilePlan(
  batch: FlowBatch,
  r: Resolved,
  timeField: 'end' | 'start',
  body: 'line' | 'summary' | 'none',
): OtelPlan | null {
  const action = r.action;
  if (action !== undefined && action.kind !== 'str') return null;
  const time: Float64Array[] = [];
  for (const name of timeField === 'end' ? ['end', 'start'] : ['start', 'end']) {
    const c = r.view.col(name);
    if (c !== undefined && c.kind === 'num') time.push(c.values);
  }
  let bodyPlan: OtelPlan['body'];
  if (body === 'none') bodyPlan = { kind: 'none' };
  else if (body === 'summary') bodyPlan = { kind: 'text', text: (i) => summaryLine(r.view, i) };
  else {
    const cols: (NumColumn | StrColumn)[] = [];
    for (const c of batch.columns) if (c.kind !== 'list') cols.push(c);
    bodyPlan =
      cols.length === batch.columns.length
        ? { kind: 'line', columns: cols }
        : { kind: 'text', text: (i) => batch.line(i) };
  }
  const account = r.account;
  const region = r.region;
  const resourceOk = (account === undefined || isStr(account)) && (region === undefined || isStr(region));
  return {
    time,
    severity: { column: action, number: severityNumberOf, text: severityTextOf },
    body: bodyPlan,
    attributes: compileAttributes(r),
    resourceColumns: resourceOk ? [account, region].filter(isStr) : null,
  };
}

/**
 * The mapping of one text field layout, for a consumer that writes records straight from the
 * line's tokens (the OTLP sink's line transcoder): field indices by role, the plain attributes
 * in the order `attributes` writes them. Null for layouts whose rules need more than the
 * tokens of one field each (packet-level addresses, `type`, `flow-direction`, numbers written
 * as text) or a body made per row: those are mapped from columns.
 */
export interface OtelLinePlan {
  /** Fields of the record time, the first with a value wins; -1 entries are left out. */
  readonly time: readonly number[];
  readonly account: number;
  readonly region: number;
  /** The action field: `REJECT` gives `reject` severity, anything else (or none) `other`. */
  readonly action: number;
  readonly status: number;
  /** `source.address`, `destination.address` and `network.type` (the first address's family). */
  readonly source: number;
  readonly destination: number;
  /** `network.protocol.name` and `network.transport`, by the protocol number. */
  readonly protocol: number;
  readonly attributes: readonly {
    readonly field: number;
    readonly key: string;
    readonly kind: 'str' | 'int';
  }[];
  readonly body: 'line' | 'none';
  readonly severity: {
    readonly reject: readonly [number: number, text: string];
    readonly other: readonly [number: number, text: string];
  };
  readonly protocolName: (n: number) => string | null;
  readonly transport: (n: number) => string | null;
}

/** Columns the line plan cannot map token by token. */
const NOT_BY_TOKEN = new Set(['pkt_srcaddr', 'pkt_dstaddr', 'protocol_name', 'type', 'flow_direction']);

export function otelLinePlan(fields: readonly FieldDef[], options: SchemaOptions = {}): OtelLinePlan | null {
  const body = options.body ?? 'line';
  if (body === 'summary') return null;
  const at = (column: string): number => fields.findIndex((f) => f.column === column);
  const isNum = (f: number): boolean => f >= 0 && fields[f]!.type !== 'string';
  const isText = (f: number): boolean => f < 0 || fields[f]!.type === 'string';
  if (fields.some((f) => NOT_BY_TOKEN.has(f.column))) return null;
  const roles = ['account_id', 'region', 'action', 'log_status', 'srcaddr', 'dstaddr'].map(at);
  if (!roles.every(isText)) return null;
  const [account, region, action, status, source, destination] = roles as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const protocol = at('protocol');
  if (protocol >= 0 && !isNum(protocol)) return null;
  const timeField = options.timeField ?? 'end';
  const time = (timeField === 'end' ? ['end', 'start'] : ['start', 'end']).map(at).filter(isNum);
  const attributes: { field: number; key: string; kind: 'str' | 'int' }[] = [];
  for (const [column, key, kind] of OTEL_ATTRIBUTES) {
    const f = at(column);
    if (f < 0) continue;
    if (kind === 'int' && isNum(f)) attributes.push({ field: f, key, kind: 'int' });
    else if (kind === 'str' && !isNum(f)) attributes.push({ field: f, key, kind: 'str' });
    else return null;
  }
  for (let f = 0; f < fields.length; f++) {
    const column = fields[f]!.column;
    if (TABLE_COLUMNS.has(column) || SPECIAL.has(column)) continue;
    if (isNum(f)) return null;
    attributes.push({ field: f, key: `aws.vpc.flow.${column}`, kind: 'str' });
  }
  return {
    time,
    account,
    region,
    action,
    status,
    source,
    destination,
    protocol,
    attributes,
    body,
    severity: {
      reject: [severityNumberOf('REJECT'), severityTextOf('REJECT')],
      other: [severityNumberOf(null), severityTextOf(null)],
    },
    protocolName,
    transport: otelTransport,
  };
}

/** Collects attributes into a flat object (the JSON form of the OTel schema). */
class ObjectWriter implements AttributeWriter {
  constructor(readonly target: Document) {}
  str(key: string, value: string): void {
    this.target[key] = value;
  }
  int(key: string, value: number): void {
    this.target[key] = value;
  }
  dbl(key: string, value: number): void {
    this.target[key] = value;
  }
  bool(key: string, value: boolean): void {
    this.target[key] = value;
  }
  strArray(key: string, values: readonly string[]): void {
    this.target[key] = [...values];
  }
}

/**
 * The OTel schema as one flat JSON document per record: `time` (RFC 3339), `severity_number`,
 * `severity_text`, `body`, then the resource attributes and the record attributes by their keys.
 */
export function otelDocumentSchema(options: SchemaOptions = {}): DocumentSchema {
  const mapping = otelMapping(options);
  return {
    name: 'otel',
    compile: (batch) => compileOtel(batch, mapping),
    document(batch: FlowBatch, i: number): Document {
      const doc: Document = {};
      const t = mapping.timeSeconds(batch, i);
      if (t !== null) doc.time = isoTime(t);
      doc.severity_number = mapping.severityNumber(batch, i);
      doc.severity_text = mapping.severityText(batch, i);
      const b = mapping.body(batch, i);
      if (b !== null) doc.body = b;
      const w = new ObjectWriter(doc);
      mapping.resource(batch, i, w);
      mapping.attributes(batch, i, w);
      return doc;
    },
  };
}
