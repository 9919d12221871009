import type { Row } from '../reader.js';
import type { Scope } from '../scope.js';

/**
 * The `alerts` table the alert engine writes, when the store has one: alerts overlapping the
 * time range, newest first. The other filters do not apply (an alert is about a key, not a
 * record), which the page says.
 */
export async function alerts(scope: Scope): Promise<Row> {
  if (!scope.info.alerts) return { available: false, rows: [] };
  const parts: string[] = [];
  const params: unknown[] = [];
  if (scope.filters.from !== undefined) {
    parts.push('last_seen >= make_timestamp(CAST(? AS BIGINT) * 1000000)');
    params.push(scope.filters.from);
  }
  if (scope.filters.to !== undefined) {
    parts.push('first_seen < make_timestamp(CAST(? AS BIGINT) * 1000000)');
    params.push(scope.filters.to);
  }
  const rows = await scope.query(
    `SELECT id, rule, title, severity, mitre, "key", first_seen, last_seen, count, bytes, packets,
  CAST(sample_uids AS VARCHAR[]) AS sample_uids
FROM alerts WHERE ${parts.length ? parts.join(' AND ') : 'TRUE'}
ORDER BY last_seen DESC, id LIMIT 200`,
    params,
  );
  return { available: true, rows };
}
