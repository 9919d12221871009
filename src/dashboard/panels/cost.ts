import type { Row } from '../reader.js';
import type { Scope, Section } from '../scope.js';
import { top } from './talkers.js';

/**
 * Transfer cost categories, each a condition over columns the `network` rollup keeps. A flow
 * can fall in two (NAT-ed internet egress pays processing and transfer out).
 */
export interface CostCategory {
  readonly id: string;
  readonly label: string;
  /** USD per GB (10^9 bytes) at AWS's public list price. */
  readonly price: number;
  readonly priceNote: string;
  readonly condition: string;
  readonly needs: readonly string[];
}

/** AWS public list prices, us-east-1, as published on the EC2 and VPC pricing pages. */
export const PRICES_DATE = '2025-06';

const EGRESS = "coalesce(flow_direction, 'egress') = 'egress'";

export const COST_CATEGORIES: readonly CostCategory[] = [
  {
    id: 'internet',
    label: 'Internet egress',
    price: 0.09,
    priceNote: 'data transfer out to the internet, first 10 TB/month',
    condition: `${EGRESS} AND flow_class IN ('outbound', 'external') AND coalesce(traffic_path, 8) IN (2, 8) AND pkt_dst_aws_service IS NULL`,
    needs: ['flow_class'],
  },
  {
    id: 'nat',
    label: 'NAT gateway processed',
    price: 0.045,
    priceNote: 'NAT gateway data processing, per GB',
    condition: 'natted',
    needs: ['pkt_srcaddr', 'pkt_dstaddr'],
  },
  {
    id: 'inter-region',
    label: 'Inter-region',
    price: 0.02,
    priceNote: 'data transfer between regions (inter-region peering)',
    condition: `${EGRESS} AND traffic_path = 5`,
    needs: ['traffic_path'],
  },
  {
    id: 'intra-region-peering',
    label: 'Peering / Transit Gateway (same region)',
    price: 0.02,
    priceNote: 'Transit Gateway data processing; peering across AZs is billed like cross-AZ',
    condition: `${EGRESS} AND traffic_path = 4`,
    needs: ['traffic_path'],
  },
  {
    id: 'vgw',
    label: 'VPN / Direct Connect (virtual private gateway)',
    price: 0.09,
    priceNote: 'data transfer out over VPN, as internet egress',
    condition: `${EGRESS} AND traffic_path = 3`,
    needs: ['traffic_path'],
  },
  {
    id: 'gateway-endpoint',
    label: 'Gateway endpoint (S3, DynamoDB)',
    price: 0,
    priceNote: 'gateway endpoints carry no data charge',
    condition: `${EGRESS} AND traffic_path = 7`,
    needs: ['traffic_path'],
  },
];

/** Cross-AZ: an egress record whose destination is an interface the store saw in another AZ. */
export const CROSS_AZ: Omit<CostCategory, 'condition'> = {
  id: 'cross-az',
  label: 'Cross-AZ (both interfaces seen)',
  price: 0.02,
  priceNote: 'USD 0.01/GB out of one AZ plus 0.01/GB into the other',
  needs: ['az_id', 'srcaddr', 'dstaddr', 'flow_direction'],
};

async function categoryBytes(scope: Scope, cat: CostCategory): Promise<Row> {
  const missing = scope.missing(cat.needs);
  if (missing.length > 0) return { id: cat.id, missing };
  const src = scope.source(
    ['flow_direction', 'flow_class', 'traffic_path', 'pkt_dst_aws_service', 'natted'],
    [cat.condition],
  );
  const r = await scope.query(
    `SELECT coalesce(${src.bytes}, 0) AS bytes, ${src.records} AS records FROM ${src.table} WHERE ${src.where.sql}`,
    src.where.params,
  );
  return { id: cat.id, bytes: Number(r[0]?.bytes ?? 0), records: Number(r[0]?.records ?? 0) };
}

async function crossAz(scope: Scope): Promise<Row> {
  const missing = scope.missing(CROSS_AZ.needs);
  if (missing.length > 0) return { id: CROSS_AZ.id, missing };
  const src = scope.source(['az_id', 'srcaddr', 'dstaddr', 'flow_direction']);
  // An interface's own address is the source of its egress records; every (address, AZ) seen.
  const sql = `WITH f AS (SELECT * FROM ${src.table} WHERE ${src.where.sql}),
own AS (SELECT DISTINCT srcaddr AS addr, az_id FROM f WHERE flow_direction = 'egress' AND az_id IS NOT NULL)
SELECT coalesce(sum(f.bytes), 0) AS bytes, ${src.rollup ? 'sum(f.records)' : 'count(*)'} AS records
FROM f JOIN own ON own.addr = f.dstaddr
WHERE f.flow_direction = 'egress' AND own.az_id <> f.az_id`;
  const r = await scope.query(sql, src.where.params);
  return { id: CROSS_AZ.id, bytes: Number(r[0]?.bytes ?? 0), records: Number(r[0]?.records ?? 0) };
}

export async function cost(scope: Scope): Promise<Row> {
  const internet = COST_CATEGORIES[0]!;
  const [categories, cross, byInterface, byInstance, bySubnet, byDestination] = await Promise.all([
    Promise.all(COST_CATEGORIES.map((c) => categoryBytes(scope, c))),
    crossAz(scope),
    top(scope, ['interface_id'], 'bytes', {
      conditions: [internet.condition],
      reads: costReads(['interface_id']),
      needs: ['interface_id', 'flow_class'],
    }),
    top(scope, ['instance_id'], 'bytes', {
      conditions: [internet.condition],
      reads: costReads(['instance_id']),
      needs: ['instance_id', 'flow_class'],
    }),
    top(scope, ['subnet_id'], 'bytes', {
      conditions: [internet.condition],
      reads: costReads(['subnet_id']),
      needs: ['subnet_id', 'flow_class'],
    }),
    topDestinations(scope, internet),
  ]);
  const defs = [...COST_CATEGORIES, { ...CROSS_AZ, condition: '' }];
  return {
    pricesDate: PRICES_DATE,
    categories: [...categories, cross].map((row, i) => ({
      ...row,
      label: defs[i]!.label,
      price: defs[i]!.price,
      priceNote: defs[i]!.priceNote,
    })),
    internetBy: {
      interface: byInterface,
      instance: byInstance,
      subnet: bySubnet,
      destination: byDestination,
    },
  };
}

const costReads = (keys: readonly string[]): string[] => [
  ...keys,
  'flow_direction',
  'flow_class',
  'traffic_path',
  'pkt_dst_aws_service',
];

/** Internet egress by destination address (flows, or the address rollup when it has the columns). */
function topDestinations(scope: Scope, internet: CostCategory): Promise<Section> {
  return top(scope, ['dstaddr'], 'bytes', {
    conditions: [internet.condition],
    reads: costReads(['dstaddr']),
    needs: ['dstaddr', 'flow_class'],
  });
}
