import type { Row } from '../reader.js';
import type { Scope, Section } from '../scope.js';

/** Totals for the filters: the `/api/summary` contract and the overview's KPIs. */
export async function summary(scope: Scope): Promise<Row> {
  const src = scope.source(['action']);
  const sql = `SELECT ${src.records} AS records, coalesce(${src.bytes}, 0) AS bytes, coalesce(${src.packets}, 0) AS packets,
  coalesce(${src.rollup ? "sum(records) FILTER (WHERE action = 'ACCEPT')" : "count(*) FILTER (WHERE action = 'ACCEPT')"}, 0) AS accepted,
  coalesce(${src.rollup ? "sum(records) FILTER (WHERE action = 'REJECT')" : "count(*) FILTER (WHERE action = 'REJECT')"}, 0) AS rejected,
  coalesce(sum(${src.rollup ? 'bytes' : 'bytes'}) FILTER (WHERE action = 'REJECT'), 0) AS rejected_bytes
FROM ${src.table} WHERE ${src.where.sql}`;
  const row = (await scope.query(sql, src.where.params))[0] ?? {};
  const range = scope.range();
  return {
    records: Number(row.records ?? 0),
    bytes: Number(row.bytes ?? 0),
    packets: Number(row.packets ?? 0),
    accepted: Number(row.accepted ?? 0),
    rejected: Number(row.rejected ?? 0),
    rejected_bytes: Number(row.rejected_bytes ?? 0),
    from: range?.from ?? null,
    to: range?.to ?? null,
  };
}

/** Records, bytes and packets per bucket and action. */
export async function actionSeries(scope: Scope, conditions: readonly string[] = []): Promise<Section> {
  const bucket = scope.bucket();
  return scope.section(['end'], async () => {
    const src = scope.source(['action'], conditions, bucket);
    const sql = `SELECT (${src.time} // ${bucket}) * ${bucket} AS t, action, ${src.records} AS records,
  ${src.bytes} AS bytes, ${src.packets} AS packets
FROM ${src.table} WHERE ${src.where.sql} AND ${src.time} IS NOT NULL GROUP BY ALL ORDER BY t, action`;
    return scope.query(sql, src.where.params);
  });
}

export async function overview(scope: Scope): Promise<Row> {
  const distinct = async (col: string): Promise<number | null> => {
    if (scope.missing([col]).length > 0) return null;
    const src = scope.source([col]);
    const r = await scope.query(
      `SELECT count(DISTINCT "${col}") AS n FROM ${src.table} WHERE ${src.where.sql}`,
      src.where.params,
    );
    return Number(r[0]?.n ?? 0);
  };
  const [totals, series, sources, destinations, interfaces] = await Promise.all([
    summary(scope),
    actionSeries(scope),
    distinct('srcaddr'),
    distinct('dstaddr'),
    distinct('interface_id'),
  ]);
  return { totals, bucket: scope.bucket(), series, distinct: { sources, destinations, interfaces } };
}
