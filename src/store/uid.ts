import { hash } from 'node:crypto';
import { quoteText } from './schema.js';

/**
 * The record uid the store keys de-duplication on, computed in SQL at commit exactly as the uid
 * enricher (`src/enrich/record-uid.ts`) computes `record_uid`: 16 hex digits of SHA-1 of the
 * source id, then the position as 16 hex digits, or 16 hex digits of SHA-1 of the source-native
 * record id (CloudWatch event ids) where there is one. Deriving it in SQL spares moving a
 * distinct string per record into DuckDB; test/store checks both agree.
 */
export function derivedUidSql(sourceId: string, positionExpr: string, recordIdExpr?: string): string {
  const prefix = quoteText(hash('sha1', sourceId, 'hex').slice(0, 16));
  const position = `lower(lpad(hex(CAST(${positionExpr} AS BIGINT)), 16, '0'))`;
  const tail = recordIdExpr
    ? `CASE WHEN ${recordIdExpr} IS NULL OR ${recordIdExpr} = '' THEN ${position} ELSE substr(sha1(${recordIdExpr}), 1, 16) END`
    : position;
  return `${prefix} || ${tail}`;
}
