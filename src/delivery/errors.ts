/**
 * How one delivery attempt failed. The retry loop only looks at `retryable` and `retryAfterMs`;
 * the message quotes the backend so the run summary says what went wrong.
 */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    /** Transient (connection error, timeout, 429/502/503/504, retryable gRPC code). */
    readonly retryable: boolean,
    /** Delay the server asked for (Retry-After, gRPC RetryInfo), in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** HTTP statuses the OTLP spec (and common practice for JSON APIs) treats as transient. */
export const RETRYABLE_HTTP = new Set([429, 502, 503, 504]);

/**
 * Parses a Retry-After header: delay-seconds or an HTTP-date. Returns milliseconds from `now`,
 * or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Connection-level failures worth retrying (resets, refusals, DNS hiccups, timeouts). */
export function networkError(err: unknown, where: string): DeliveryError {
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ? `${e.code}: ` : '';
  const msg = e instanceof Error ? e.message : String(err);
  return new DeliveryError(
    `${where}: ${code === '' || msg.startsWith(e.code ?? '') ? '' : code}${msg}`,
    true,
  );
}

/** Shortens a backend's message for a one-line report. */
export function quote(text: string, max = 300): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}
