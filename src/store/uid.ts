import { hash } from 'node:crypto';

/**
 * The record uid the store keys de-duplication on, exactly the uid enricher's `record_uid`
 * (`src/enrich/record-uid.ts`) as a 128-bit number: the high 64 bits are the first 64 bits of
 * SHA-1 of the source id; the low 64 bits are the record's position, or, where the source has
 * native record ids (CloudWatch event ids), the first 64 bits of SHA-1 of that id. Stored as
 * UHUGEINT `uid`; `record_uid` (32 hex digits) is derived from it. Computing it in SQL spares
 * moving a distinct string per record into DuckDB; test/store checks both forms agree.
 */
function sourceHigh(sourceId: string): bigint {
  return BigInt(`0x${hash('sha1', sourceId, 'hex').slice(0, 16)}`) << 64n;
}

/** UHUGEINT SQL for a record of `sourceId` at `positionExpr` (record id `recordIdExpr`, if any). */
export function uidSql(sourceId: string, positionExpr: string, recordIdExpr?: string): string {
  const high = `CAST('${sourceHigh(sourceId)}' AS UHUGEINT)`;
  const position = `CAST(CAST(${positionExpr} AS BIGINT) AS UHUGEINT)`;
  const low = recordIdExpr
    ? `CASE WHEN ${recordIdExpr} IS NULL OR ${recordIdExpr} = '' THEN ${position}
        ELSE CAST(CAST('0x' || substr(sha1(${recordIdExpr}), 1, 16) AS UBIGINT) AS UHUGEINT) END`
    : position;
  return `(${high} + ${low})`;
}

/** The inclusive uid range of one source's records, as SQL literals. */
export function uidRange(sourceId: string): [string, string] {
  const high = sourceHigh(sourceId);
  return [`CAST('${high}' AS UHUGEINT)`, `CAST('${high + (1n << 64n) - 1n}' AS UHUGEINT)`];
}

/** The high 64 bits of a source's uids as two 32-bit words (high word, low word). */
export function uidHighWords(sourceId: string): [number, number] {
  const h = hash('sha1', sourceId, 'buffer');
  return [h.readUInt32BE(0), h.readUInt32BE(4)];
}
