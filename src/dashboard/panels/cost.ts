import type { Row } from '../reader.js';
import type { Scope, Section } from '../scope.js';
import { top } from './talkers.js';

/**
 * Transfer cost categories, each a condition over columns the `network` rollup keeps (derived
 * ones, `internet_egress` and `natted`, by name: rollups.ts). A flow can fall in two (NAT-ed
 * internet egress pays processing and transfer out).
 */
export interface CostCategory {
  readonly id: string;
  readonly label: string;
  /** USD per GB (10^9 bytes) at AWS's public list price. */
  readonly price: number;
  readonly priceNote: string;
  readonly condition: string;
  readonly needs: readonly string[];
  /** The columns the condition reads in a rollup. */
  readonly reads: readonly string[];
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
    // Egress, flow class outbound or external, traffic path 2 or 8 (or none), no AWS service.
    condition: 'internet_egress',
    needs: ['flow_class'],
    reads: ['internet_egress'],
  },
  {
    id: 'nat',
    label: 'NAT gateway processed',
    price: 0.045,
    priceNote: 'NAT gateway data processing, per GB',
    condition: 'natted',
    needs: ['pkt_srcaddr', 'pkt_dstaddr'],
    reads: ['natted'],
  },
  {
    id: 'inter-region',
    label: 'Inter-region',
    price: 0.02,
    priceNote: 'data transfer between regions (inter-region peering)',
    condition: `${EGRESS} AND traffic_path = 5`,
    needs: ['traffic_path'],
    reads: ['flow_direction', 'traffic_path'],
  },
  {
    id: 'intra-region-peering',
    label: 'Peering / Transit Gateway (same region)',
    price: 0.02,
    priceNote: 'Transit Gateway data processing; peering across AZs is billed like cross-AZ',
    condition: `${EGRESS} AND traffic_path = 4`,
    needs: ['traffic_path'],
    reads: ['flow_direction', 'traffic_path'],
  },
  {
    id: 'vgw',
    label: 'VPN / Direct Connect (virtual private gateway)',
    price: 0.09,
    priceNote: 'data transfer out over VPN, as internet egress',
    condition: `${EGRESS} AND traffic_path = 3`,
    needs: ['traffic_path'],
    reads: ['flow_direction', 'traffic_path'],
  },
  {
    id: 'gateway-endpoint',
    label: 'Gateway endpoint (S3, DynamoDB)',
    price: 0,
    priceNote: 'gateway endpoints carry no data charge',
    condition: `${EGRESS} AND traffic_path = 7`,
    needs: ['traffic_path'],
    reads: ['flow_direction', 'traffic_path'],
  },
];

/** Cross-AZ: an egress record whose destination is an interface the store saw in another AZ. */
export const CROSS_AZ: Omit<CostCategory, 'condition' | 'reads'> = {
  id: 'cross-az',
  label: 'Cross-AZ (both interfaces seen)',
  price: 0.02,
  priceNote: 'USD 0.01/GB out of one AZ plus 0.01/GB into the other',
  needs: ['az_id', 'srcaddr', 'dstaddr', 'flow_direction'],
};

async function categoryBytes(scope: Scope, cat: CostCategory): Promise<Row> {
  const missing = scope.missing(cat.needs);
  if (missing.length > 0) return { id: cat.id, missing };
  const src = scope.source(cat.reads, [cat.condition]);
  const r = await scope.query(
    `SELECT coalesce(${src.bytes}, 0) AS bytes, ${src.records} AS records FROM ${src.table} WHERE ${src.where.sql}`,
    src.where.params,
  );
  return { id: cat.id, bytes: Number(r[0]?.bytes ?? 0), records: Number(r[0]?.records ?? 0) };
}

async function crossAz(scope: Scope): Promise<Row> {
  const missing = scope.missing(CROSS_AZ.needs);
  if (missing.length > 0) return { id: CROSS_AZ.id, missing };
  // An interface's own address is the source of its egress records: every (address, AZ) seen,
  // and the egress records towards those addresses from another AZ.
  const own = scope.source(['srcaddr', 'az_id', 'flow_direction']);
  const out = scope.source(['dstaddr', 'az_id', 'flow_direction']);
  const sql = `WITH own AS (SELECT DISTINCT srcaddr AS addr, az_id FROM ${own.table}
  WHERE ${own.where.sql} AND flow_direction = 'egress' AND az_id IS NOT NULL),
f AS (SELECT dstaddr, az_id, bytes, ${out.rollup ? 'records' : '1 AS records'} FROM ${out.table}
  WHERE ${out.where.sql} AND flow_direction = 'egress')
SELECT coalesce(sum(f.bytes), 0) AS bytes, coalesce(sum(f.records), 0) AS records
FROM f JOIN own ON own.addr = f.dstaddr WHERE own.az_id <> f.az_id`;
  const r = await scope.query(sql, [...own.where.params, ...out.where.params]);
  return { id: CROSS_AZ.id, bytes: Number(r[0]?.bytes ?? 0), records: Number(r[0]?.records ?? 0) };
}

export async function cost(scope: Scope): Promise<Row> {
  const internet = COST_CATEGORIES[0]!;
  const [categories, cross, byInterface, byInstance, bySubnet, byDestination] = await Promise.all([
    Promise.all(COST_CATEGORIES.map((c) => categoryBytes(scope, c))),
    crossAz(scope),
    top(scope, ['interface_id'], 'bytes', {
      conditions: [internet.condition],
      reads: ['interface_id', ...internet.reads],
      needs: ['interface_id', 'flow_class'],
    }),
    top(scope, ['instance_id'], 'bytes', {
      conditions: [internet.condition],
      reads: ['instance_id', ...internet.reads],
      needs: ['instance_id', 'flow_class'],
    }),
    top(scope, ['subnet_id'], 'bytes', {
      conditions: [internet.condition],
      reads: ['subnet_id', ...internet.reads],
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

/** Internet egress by destination address. */
function topDestinations(scope: Scope, internet: CostCategory): Promise<Section> {
  return top(scope, ['dstaddr'], 'bytes', {
    conditions: [internet.condition],
    reads: ['dstaddr', ...internet.reads],
    needs: ['dstaddr', 'flow_class'],
  });
}
