import { HttpError } from '../http-error.js';
import type { Row } from '../reader.js';
import type { Scope, Section } from '../scope.js';

const ADDRESS = /^[0-9A-Fa-f.:]{2,45}$/;

export function parseAddress(text: string | null): string {
  if (!text || !ADDRESS.test(text))
    throw new HttpError(400, `addr=${text ?? ''}: expected an IPv4 or IPv6 address`);
  return text;
}

/**
 * One address under the current filters: totals, first and last seen, peers, ports, rejects,
 * countries and ASNs. Reads `flows` (one address is a rare filter no rollup is keyed for
 * besides the talker one).
 */
export async function profile(scope: Scope, addr: string): Promise<Row> {
  // The address is bound once, as the column `me` of a one-row table every query joins.
  const base = scope.flowsWhere(['(srcaddr = p.me OR dstaddr = p.me)']);
  const params = [addr, ...base.params];
  const run = (sql: string): Promise<Row[]> => scope.query(sql, params);
  const section = (needs: string[], sql: string): Promise<Section> => scope.section(needs, () => run(sql));
  const [totals, peers, ports, rejects, places] = await Promise.all([
    run(`SELECT count(*) AS records, coalesce(sum(bytes), 0) AS bytes, coalesce(sum(packets), 0) AS packets,
  count(*) FILTER (WHERE action = 'REJECT') AS rejected, min(start_time) AS first_seen, max(end_time) AS last_seen,
  count(*) FILTER (WHERE srcaddr = p.me) AS as_source, count(*) FILTER (WHERE dstaddr = p.me) AS as_destination
FROM flows, (SELECT CAST(? AS VARCHAR) AS me) p WHERE ${base.sql}`),
    section(
      ['srcaddr', 'dstaddr'],
      `SELECT CASE WHEN srcaddr = p.me THEN dstaddr ELSE srcaddr END AS peer, count(*) AS records,
  sum(bytes) AS bytes, count(*) FILTER (WHERE action = 'REJECT') AS rejected
FROM flows, (SELECT CAST(? AS VARCHAR) AS me) p WHERE ${base.sql} GROUP BY 1 ORDER BY bytes DESC NULLS LAST, 1 LIMIT 15`,
    ),
    section(
      ['dstport'],
      `SELECT dstport, protocol, count(*) AS records, sum(bytes) AS bytes, count(*) FILTER (WHERE action = 'REJECT') AS rejected
FROM flows, (SELECT CAST(? AS VARCHAR) AS me) p WHERE ${base.sql} AND dstport IS NOT NULL GROUP BY 1, 2 ORDER BY records DESC, 1 LIMIT 15`,
    ),
    section(
      ['action'],
      `SELECT srcaddr, dstaddr, dstport, count(*) AS records FROM flows, (SELECT CAST(? AS VARCHAR) AS me) p WHERE ${base.sql} AND action = 'REJECT'
GROUP BY ALL ORDER BY records DESC, 1, 2, 3 LIMIT 10`,
    ),
    section(
      ['src_country'],
      `SELECT CASE WHEN srcaddr = p.me THEN dst_country ELSE src_country END AS country,
  CASE WHEN srcaddr = p.me THEN dst_asn ELSE src_asn END AS asn,
  CASE WHEN srcaddr = p.me THEN dst_as_org ELSE src_as_org END AS as_org,
  count(*) AS records, sum(bytes) AS bytes
FROM flows, (SELECT CAST(? AS VARCHAR) AS me) p WHERE ${base.sql} GROUP BY ALL ORDER BY bytes DESC NULLS LAST LIMIT 10`,
    ),
  ]);
  return { addr, totals: totals[0] ?? {}, peers, ports, rejects, places };
}
