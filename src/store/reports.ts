import { type PhysicalColumns, storedTotals } from './stored-totals.js';

/**
 * The built-in reports: each a list of SQL sections over `flows`. Placeholders, filled by the
 * runner: `{filter}` (the --since/--until condition, TRUE when none), `{limit}` (--limit),
 * `{interval}` (timeline bucket, e.g. `INTERVAL 1 HOUR`). A section names the columns it needs;
 * when one is absent or all-NULL in the store, the section says so instead of showing a table.
 * docs/reports.md shows every query; keep it in step.
 */

export interface ReportSection {
  readonly title: string;
  readonly needs: readonly string[];
  readonly sql: string;
  /**
   * The same section over the store's physical table, used instead when it gives SQL for the
   * store's columns (and `flow_records` has `end` when --since/--until filter): it groups the
   * codes the store keeps and looks values up once per group rather than once per record
   * (stored-totals.ts).
   */
  readonly stored?: (physical: PhysicalColumns) => string | undefined;
}

export interface ReportDef {
  readonly name: string;
  readonly summary: string;
  /** Statements run first (same placeholders), e.g. one shared aggregation the sections read. */
  readonly prelude?: readonly string[];
  /** Columns the prelude needs; when missing, the prelude is skipped (its sections say so too). */
  readonly preludeNeeds?: readonly string[];
  /**
   * The same prelude over the store's physical table, used instead when `flow_records` has
   * every column of `needs` (a store, not a lake; `end` too when --since/--until filter).
   */
  readonly fastPrelude?: { readonly needs: readonly string[]; readonly sql: readonly string[] };
  readonly sections: readonly ReportSection[];
}

/** Traffic totals grouped by `keys`, biggest first by `order`. */
function totals(
  select: string,
  where: string,
  groupBy: string,
  order: 'bytes' | 'packets' | 'flows',
): string {
  return `SELECT ${select}, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows
FROM flows
WHERE {filter} AND ${where}
GROUP BY ${groupBy}
ORDER BY ${order} DESC NULLS LAST, 1
LIMIT {limit}`;
}

/**
 * top-talkers aggregates once per (source, destination) pair into a TEMP table and ranks
 * sources, destinations and pairs from it: one scan of `flows` instead of three.
 */
const TALKER_PAIRS = `CREATE OR REPLACE TEMP TABLE talker_pairs AS
SELECT srcaddr, dstaddr, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows
FROM flows
WHERE {filter}
GROUP BY srcaddr, dstaddr`;

/**
 * TALKER_PAIRS over `flow_records`: pairs of canonical IPv4 addresses are grouped by the one
 * number `addr_pair_v4` and turned back into text per pair (not per record); every other record
 * (IPv6, missing addresses) is grouped by text. The two parts never hold the same pair, so the
 * table is the same as TALKER_PAIRS makes, minus the pair with no address at all, which no
 * section shows.
 */
const TALKER_PAIRS_FAST = `CREATE OR REPLACE TEMP TABLE talker_pairs AS
SELECT concat_ws('.', k >> 56, (k >> 48) & 255, (k >> 40) & 255, (k >> 32) & 255) AS srcaddr,
  concat_ws('.', (k >> 24) & 255, (k >> 16) & 255, (k >> 8) & 255, k & 255) AS dstaddr,
  bytes, packets, flows
FROM (
  SELECT addr_pair_v4 AS k, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows
  FROM flow_records
  WHERE {filter} AND addr_pair_v4 IS NOT NULL
  GROUP BY addr_pair_v4
)
UNION ALL
SELECT srcaddr, dstaddr, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows
FROM flow_records
WHERE {filter} AND addr_pair_v4 IS NULL AND (srcaddr IS NOT NULL OR dstaddr IS NOT NULL)
GROUP BY srcaddr, dstaddr`;

function talkerSection(keys: string, where: string, order: 'bytes' | 'packets'): string {
  return `SELECT ${keys}, sum(bytes) AS bytes, sum(packets) AS packets, sum(flows) AS flows
FROM talker_pairs
WHERE ${where}
GROUP BY ${keys}
ORDER BY ${order} DESC NULLS LAST, ${keys}
LIMIT {limit}`;
}

/** talker_pairs already holds one row per pair: the pairs section only filters and ranks. */
function pairsSection(order: 'bytes' | 'packets'): string {
  return `SELECT srcaddr, dstaddr, bytes, packets, CAST(flows AS HUGEINT) AS flows
FROM talker_pairs
WHERE srcaddr IS NOT NULL AND dstaddr IS NOT NULL
ORDER BY ${order} DESC NULLS LAST, srcaddr, dstaddr
LIMIT {limit}`;
}

const talkers = (order: 'bytes' | 'packets'): ReportSection[] => [
  {
    title: `Top sources by ${order}`,
    needs: ['srcaddr', order],
    sql: talkerSection('srcaddr', 'srcaddr IS NOT NULL', order),
  },
  {
    title: `Top destinations by ${order}`,
    needs: ['dstaddr', order],
    sql: talkerSection('dstaddr', 'dstaddr IS NOT NULL', order),
  },
  {
    title: `Top pairs by ${order}`,
    needs: ['srcaddr', 'dstaddr', order],
    sql: pairsSection(order),
  },
];

const PROTOCOL_NAME = `CASE protocol WHEN 1 THEN 'ICMP' WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP' WHEN 47 THEN 'GRE'
    WHEN 50 THEN 'ESP' WHEN 51 THEN 'AH' WHEN 58 THEN 'IPv6-ICMP' WHEN 132 THEN 'SCTP' ELSE NULL END`;

const EGRESS_WHERE = `action = 'ACCEPT' AND coalesce(flow_direction, 'egress') = 'egress'
  AND is_private_ip(coalesce(pkt_srcaddr, srcaddr)) AND NOT is_private_ip(coalesce(pkt_dstaddr, dstaddr))`;

const NAT_WHERE = `(pkt_srcaddr IS DISTINCT FROM srcaddr AND pkt_srcaddr IS NOT NULL)
  OR (pkt_dstaddr IS DISTINCT FROM dstaddr AND pkt_dstaddr IS NOT NULL)`;

export const REPORTS: readonly ReportDef[] = [
  {
    name: 'top-talkers',
    summary: 'Sources, destinations and pairs moving the most bytes (or packets: --by packets)',
    prelude: [TALKER_PAIRS],
    preludeNeeds: ['srcaddr', 'dstaddr'],
    fastPrelude: {
      needs: ['srcaddr', 'dstaddr', 'bytes', 'packets', 'addr_pair_v4'],
      sql: [TALKER_PAIRS_FAST],
    },
    sections: talkers('bytes'),
  },
  {
    name: 'rejected',
    summary: 'Rejected traffic by source, by destination port, and over time',
    sections: [
      {
        title: 'Rejected by source',
        needs: ['action', 'srcaddr'],
        sql: `SELECT srcaddr, count(*) AS flows, sum(packets) AS packets, sum(bytes) AS bytes,
  count(DISTINCT dstport) AS ports, min(start_time) AS first_seen, max(end_time) AS last_seen
FROM flows
WHERE {filter} AND action = 'REJECT'
GROUP BY srcaddr
ORDER BY flows DESC, srcaddr
LIMIT {limit}`,
      },
      {
        title: 'Rejected by destination port',
        needs: ['action', 'dstport', 'protocol'],
        sql: `SELECT dstport, protocol, ${PROTOCOL_NAME} AS protocol_name, count(*) AS flows,
  count(DISTINCT srcaddr) AS sources, sum(packets) AS packets
FROM flows
WHERE {filter} AND action = 'REJECT'
GROUP BY dstport, protocol
ORDER BY flows DESC, dstport
LIMIT {limit}`,
      },
      {
        title: 'Rejected over time',
        needs: ['action', 'end'],
        sql: `SELECT time_bucket({interval}, end_time) AS time, count(*) AS flows, sum(packets) AS packets,
  sum(bytes) AS bytes, count(DISTINCT srcaddr) AS sources
FROM flows
WHERE {filter} AND action = 'REJECT'
GROUP BY 1
ORDER BY 1`,
      },
    ],
  },
  {
    name: 'ports',
    summary: 'Destination ports by flows, with bytes and accepted/rejected counts',
    sections: [
      {
        title: 'Destination ports',
        needs: ['dstport', 'protocol'],
        sql: `SELECT dstport, protocol, ${PROTOCOL_NAME} AS protocol_name, count(*) AS flows,
  sum(bytes) AS bytes, sum(packets) AS packets,
  count(*) FILTER (WHERE action = 'ACCEPT') AS accepted, count(*) FILTER (WHERE action = 'REJECT') AS rejected
FROM flows
WHERE {filter} AND dstport IS NOT NULL
GROUP BY dstport, protocol
ORDER BY flows DESC, dstport
LIMIT {limit}`,
      },
    ],
  },
  {
    name: 'protocols',
    summary: 'Traffic by IP protocol, with shares of flows and bytes',
    sections: [
      {
        title: 'Protocols',
        needs: ['protocol'],
        sql: `SELECT protocol, ${PROTOCOL_NAME} AS protocol_name, count(*) AS flows, sum(bytes) AS bytes,
  sum(packets) AS packets,
  round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS flows_pct,
  round(100.0 * sum(bytes) / nullif(sum(sum(bytes)) OVER (), 0), 2) AS bytes_pct
FROM flows
WHERE {filter} AND protocol IS NOT NULL
GROUP BY protocol
ORDER BY bytes DESC NULLS LAST, protocol
LIMIT {limit}`,
      },
    ],
  },
  {
    name: 'timeline',
    summary: 'Flows, bytes and packets per interval, accepted vs rejected (--interval)',
    sections: [
      {
        title: 'Timeline',
        needs: ['end'],
        sql: `SELECT time_bucket({interval}, end_time) AS time, count(*) AS flows, sum(bytes) AS bytes,
  sum(packets) AS packets,
  count(*) FILTER (WHERE action = 'ACCEPT') AS accepted_flows,
  count(*) FILTER (WHERE action = 'REJECT') AS rejected_flows,
  coalesce(sum(bytes) FILTER (WHERE action = 'ACCEPT'), 0) AS accepted_bytes,
  coalesce(sum(bytes) FILTER (WHERE action = 'REJECT'), 0) AS rejected_bytes
FROM flows
WHERE {filter} AND end_time IS NOT NULL
GROUP BY 1
ORDER BY 1`,
      },
    ],
  },
  {
    name: 'interfaces',
    summary: 'Traffic per network interface, instance, subnet and VPC',
    sections: [
      {
        title: 'By network interface',
        needs: ['interface_id'],
        sql: totals('interface_id', 'interface_id IS NOT NULL', 'interface_id', 'bytes'),
        stored: storedTotals('interface_id', 'bytes'),
      },
      {
        title: 'By instance',
        needs: ['instance_id'],
        sql: totals('instance_id', 'instance_id IS NOT NULL', 'instance_id', 'bytes'),
        stored: storedTotals('instance_id', 'bytes'),
      },
      {
        title: 'By subnet',
        needs: ['subnet_id'],
        sql: totals('subnet_id', 'subnet_id IS NOT NULL', 'subnet_id', 'bytes'),
        stored: storedTotals('subnet_id', 'bytes'),
      },
      {
        title: 'By VPC',
        needs: ['vpc_id'],
        sql: totals('vpc_id', 'vpc_id IS NOT NULL', 'vpc_id', 'bytes'),
        stored: storedTotals('vpc_id', 'bytes'),
      },
    ],
  },
  {
    name: 'geo',
    summary: 'Traffic by source and destination country (geo enrichment)',
    sections: [
      {
        title: 'By source country',
        needs: ['src_country'],
        sql: totals('src_country', 'src_country IS NOT NULL', 'src_country', 'bytes'),
        stored: storedTotals('src_country', 'bytes'),
      },
      {
        title: 'By destination country',
        needs: ['dst_country'],
        sql: totals('dst_country', 'dst_country IS NOT NULL', 'dst_country', 'bytes'),
        stored: storedTotals('dst_country', 'bytes'),
      },
    ],
  },
  {
    name: 'asn',
    summary: 'Traffic by source and destination autonomous system (ASN enrichment)',
    sections: [
      {
        title: 'By source ASN',
        needs: ['src_asn'],
        sql: totals('src_asn', 'src_asn IS NOT NULL', 'src_asn', 'bytes'),
        stored: storedTotals('src_asn', 'bytes'),
      },
      {
        title: 'By destination ASN',
        needs: ['dst_asn'],
        sql: totals('dst_asn', 'dst_asn IS NOT NULL', 'dst_asn', 'bytes'),
        stored: storedTotals('dst_asn', 'bytes'),
      },
    ],
  },
  {
    name: 'aws-services',
    summary: 'Traffic to and from AWS services (pkt-src/dst-aws-service, v5+)',
    sections: [
      {
        title: 'From AWS services',
        needs: ['pkt_src_aws_service'],
        sql: totals('pkt_src_aws_service', 'pkt_src_aws_service IS NOT NULL', 'pkt_src_aws_service', 'bytes'),
      },
      {
        title: 'To AWS services',
        needs: ['pkt_dst_aws_service'],
        sql: totals('pkt_dst_aws_service', 'pkt_dst_aws_service IS NOT NULL', 'pkt_dst_aws_service', 'bytes'),
      },
    ],
  },
  {
    name: 'egress',
    summary: 'Accepted bytes leaving private addresses for the internet, by destination',
    sections: [
      {
        title: 'Egress to the internet by destination',
        needs: ['srcaddr', 'dstaddr', 'action', 'bytes'],
        sql: totals('coalesce(pkt_dstaddr, dstaddr) AS destination', `(${EGRESS_WHERE})`, '1', 'bytes'),
      },
      {
        title: 'Egress to the internet by internal source',
        needs: ['srcaddr', 'dstaddr', 'action', 'bytes'],
        sql: totals('coalesce(pkt_srcaddr, srcaddr) AS internal_source', `(${EGRESS_WHERE})`, '1', 'bytes'),
      },
    ],
  },
  {
    name: 'nat',
    summary: 'Flows whose packet addresses differ from the interface addresses (NAT, pods, LBs)',
    sections: [
      {
        title: 'Translated flows',
        needs: ['pkt_srcaddr', 'pkt_dstaddr', 'srcaddr', 'dstaddr'],
        sql: `SELECT interface_id, pkt_srcaddr, srcaddr, pkt_dstaddr, dstaddr, count(*) AS flows,
  sum(bytes) AS bytes, sum(packets) AS packets
FROM flows
WHERE {filter} AND (${NAT_WHERE})
GROUP BY ALL
ORDER BY bytes DESC NULLS LAST, flows DESC
LIMIT {limit}`,
      },
    ],
  },
];

/** top-talkers ordered by packets (`--by packets`). */
export const TOP_TALKERS_BY_PACKETS: readonly ReportSection[] = talkers('packets');

export function findReport(name: string): ReportDef | undefined {
  return REPORTS.find((r) => r.name === name);
}
