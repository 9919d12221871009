import type { HealthSnapshot, Row } from '../reader.js';
import type { Scope } from '../scope.js';

/**
 * Pipeline health: the service's live counters when it gives them, and what the store itself
 * records either way (records, inputs, NODATA/SKIPDATA, the lag from `end` to ingestion).
 */
export async function health(scope: Scope, live: HealthSnapshot | undefined): Promise<Row> {
  const status = await scope.section(['log_status'], () => {
    const src = scope.source(['log_status']);
    return scope.query(
      `SELECT log_status, ${src.records} AS records FROM ${src.table} WHERE ${src.where.sql} GROUP BY 1 ORDER BY 2 DESC`,
      src.where.params,
    );
  });
  const stored = scope.info.store
    ? await scope.section(['ingested_at', 'end'], () => {
        const src = scope.source(['ingested_at', 'source']);
        return scope.query(
          `SELECT count(DISTINCT source) AS inputs, max(ingested_at) AS last_ingested,
  quantile_cont(epoch(ingested_at) - "end", 0.5) AS lag_p50, quantile_cont(epoch(ingested_at) - "end", 0.95) AS lag_p95
FROM ${src.table} WHERE ${src.where.sql}`,
          src.where.params,
        );
      })
    : { missing: ['ingested_at'] };
  return { live: live ?? null, status, stored };
}
