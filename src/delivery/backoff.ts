/** When to retry: exponential backoff with full jitter, bounded by attempts and elapsed time. */
export interface RetryPolicy {
  /** Attempts in total, the first included; 1 disables retries. */
  readonly maxAttempts: number;
  /** Give up once this much time has passed since the first attempt (ms). */
  readonly maxElapsedMs: number;
  /** Ceiling of the first backoff window (ms); doubles each retry. */
  readonly initialDelayMs: number;
  /** Ceiling of any backoff window (ms), Retry-After included. */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 10,
  maxElapsedMs: 300_000,
  initialDelayMs: 250,
  maxDelayMs: 30_000,
};

/**
 * Delay before retry number `retry` (1 = first retry). Full jitter spreads clients that failed
 * together; a server's Retry-After is honoured as a floor (capped by maxDelayMs).
 */
export function backoffDelay(
  policy: RetryPolicy,
  retry: number,
  retryAfterMs?: number,
  random = Math.random,
): number {
  const window = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(retry - 1, 30));
  const jitter = Math.floor(random() * window);
  if (retryAfterMs === undefined) return jitter;
  return Math.min(policy.maxDelayMs, Math.max(retryAfterMs, 0));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
