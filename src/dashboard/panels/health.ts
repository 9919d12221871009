import { DERIVED_DIMS, LAG_CLASSES_PER_DOUBLING } from '../../store/rollups.js';
import type { HealthSnapshot, Row } from '../reader.js';
import type { Scope, Section } from '../scope.js';

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
  const stored = scope.info.store ? await storedHealth(scope) : { missing: ['ingested_at'] };
  return { live: live ?? null, status, stored };
}

/** Inputs, last ingestion and the lag percentiles (from lag classes: see rollups.ts). */
function storedHealth(scope: Scope): Promise<Section> {
  return scope.section(['ingested_at', 'end'], async () => {
    const inputs = scope.source(['source', 'ingested_at']);
    const lag = scope.source(['lag_class']);
    const cls = lag.rollup ? 'lag_class' : DERIVED_DIMS.get('lag_class')!;
    const [counts, classes] = await Promise.all([
      scope.query(
        `SELECT count(DISTINCT source) AS inputs, max(ingested_at) AS last_ingested FROM ${inputs.table} WHERE ${inputs.where.sql}`,
        inputs.where.params,
      ),
      scope.query(
        `WITH h AS (SELECT ${cls} AS c, ${lag.records} AS n FROM ${lag.table} WHERE ${lag.where.sql} AND ${cls} IS NOT NULL GROUP BY 1),
cum AS (SELECT c, sum(n) OVER (ORDER BY c) AS upto, sum(n) OVER () AS total FROM h)
SELECT min(c) FILTER (WHERE upto >= 0.5 * total) AS p50, min(c) FILTER (WHERE upto >= 0.95 * total) AS p95 FROM cum`,
        lag.where.params,
      ),
    ]);
    const row = counts[0] ?? {};
    const p = classes[0] ?? {};
    return [
      {
        inputs: Number(row.inputs ?? 0),
        last_ingested: row.last_ingested ?? null,
        lag_p50: lagSeconds(p.p50),
        lag_p95: lagSeconds(p.p95),
        lag_approximate: true,
      },
    ];
  });
}

/** A lag class's middle in seconds (class 0: under a second, shown as 0). */
function lagSeconds(cls: unknown): number | null {
  if (cls === null || cls === undefined) return null;
  const c = Number(cls);
  if (c <= 0) return 0;
  return Math.round(2 ** ((c - 0.5) / LAG_CLASSES_PER_DOUBLING));
}
