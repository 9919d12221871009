import type { Row } from '../reader.js';
import type { Scope, Section } from '../scope.js';
import { top } from './talkers.js';

/** Bytes and rejected records per country on one side. */
function countries(scope: Scope, side: 'src' | 'dst'): Promise<Section> {
  const col = `${side}_country`;
  return scope.section([col], () => {
    const src = scope.source([col, 'action']);
    const rejects = src.rollup
      ? "sum(records) FILTER (WHERE action = 'REJECT')"
      : "count(*) FILTER (WHERE action = 'REJECT')";
    return scope.query(
      `SELECT "${col}" AS country, ${src.records} AS records, ${src.bytes} AS bytes, coalesce(${rejects}, 0) AS rejected
FROM ${src.table} WHERE ${src.where.sql} AND "${col}" IS NOT NULL GROUP BY 1 ORDER BY bytes DESC, 1 LIMIT 250`,
      src.where.params,
    );
  });
}

export async function geo(scope: Scope): Promise<Row> {
  const [srcCountries, dstCountries, srcAsns, dstAsns, classes] = await Promise.all([
    countries(scope, 'src'),
    countries(scope, 'dst'),
    top(scope, ['src_asn', 'src_as_org'], 'bytes', { needs: ['src_asn'], notNull: ['src_asn'] }),
    top(scope, ['dst_asn', 'dst_as_org'], 'bytes', { needs: ['dst_asn'], notNull: ['dst_asn'] }),
    top(scope, ['flow_class'], 'bytes'),
  ]);
  return { srcCountries, dstCountries, srcAsns, dstAsns, classes };
}
