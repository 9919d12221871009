/** One item of a _bulk response: `{"create": {"_index", "_id", "status", "result" | "error"}}`. */
interface BulkItem {
  readonly status?: number;
  readonly error?:
    | { readonly type?: string; readonly reason?: string; readonly caused_by?: { readonly reason?: string } }
    | string;
}

export interface BulkResponse {
  readonly errors?: boolean;
  readonly items?: ReadonlyArray<Record<string, BulkItem>>;
}

export type ItemVerdict =
  | { readonly kind: 'delivered'; readonly duplicate: boolean }
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'rejected'; readonly reason: string };

/** Per-item statuses the bulk API marks as worth retrying (queue full, shard unavailable). */
const RETRY_ITEM = new Set([429, 502, 503, 504]);

/**
 * What became of one item: 2xx delivered; 409 (a `create` whose id exists) delivered already,
 * so a re-delivery does not duplicate; 429/5xx-transient retried; anything else rejected.
 */
export function itemVerdict(item: Record<string, BulkItem> | undefined): ItemVerdict {
  const inner = item ? Object.values(item)[0] : undefined;
  const status = inner?.status ?? 0;
  if (status >= 200 && status < 300) return { kind: 'delivered', duplicate: false };
  if (status === 409) return { kind: 'delivered', duplicate: true };
  const reason = errorReason(inner?.error, status);
  if (RETRY_ITEM.has(status)) return { kind: 'retry', reason };
  return { kind: 'rejected', reason };
}

function errorReason(error: BulkItem['error'], status: number): string {
  if (!error) return `status ${status}`;
  if (typeof error === 'string') return error;
  const cause = error.caused_by?.reason ? ` (${error.caused_by.reason})` : '';
  return `${error.type ?? `status ${status}`}: ${error.reason ?? ''}${cause}`;
}
