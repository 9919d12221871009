import type { OptionSpec, ResolvedOptions } from '../config/options.js';
import type { RetryPolicy } from './backoff.js';

/** Settings every network sink shares (one value applies to each of them). */
export const DELIVERY_OPTIONS = [
  {
    name: 'max-in-flight',
    type: 'int',
    min: 1,
    max: 64,
    default: 4,
    description: 'Requests in flight at once per network sink',
    placeholder: 'n',
  },
  {
    name: 'max-request-bytes',
    type: 'int',
    min: 1024,
    max: 64 * 1024 * 1024,
    default: 1024 * 1024,
    description: 'Upper bound of one request body before compression (a single record may exceed it)',
    placeholder: 'bytes',
  },
  {
    name: 'retry-attempts',
    type: 'int',
    min: 1,
    max: 1000,
    default: 10,
    description: 'Attempts per request, the first included, before a transient failure counts as failed',
    placeholder: 'n',
  },
  {
    name: 'retry-max-time',
    type: 'number',
    min: 0,
    default: 300,
    description: 'Seconds after the first attempt of a request past which it is not retried',
    placeholder: 'seconds',
  },
  {
    name: 'retry-initial-delay',
    type: 'int',
    min: 0,
    default: 250,
    description: 'Backoff window of the first retry in ms (doubles per retry, full jitter)',
    placeholder: 'ms',
  },
  {
    name: 'retry-max-delay',
    type: 'int',
    min: 0,
    default: 30000,
    description: 'Longest wait between two attempts in ms, Retry-After included',
    placeholder: 'ms',
  },
] as const satisfies readonly OptionSpec[];

export interface DeliverySettings {
  readonly maxInFlight: number;
  readonly maxRequestBytes: number;
  readonly retry: RetryPolicy;
}

export function deliverySettings(options: ResolvedOptions): DeliverySettings {
  const n = (name: string, fallback: number): number => {
    const v = options[name];
    return typeof v === 'number' ? v : fallback;
  };
  return {
    maxInFlight: n('max-in-flight', 4),
    maxRequestBytes: n('max-request-bytes', 1024 * 1024),
    retry: {
      maxAttempts: n('retry-attempts', 10),
      maxElapsedMs: n('retry-max-time', 300) * 1000,
      initialDelayMs: n('retry-initial-delay', 250),
      maxDelayMs: n('retry-max-delay', 30000),
    },
  };
}

/**
 * The deadline of one request: the sink's timeout, or for 0 ("no limit of its own") the
 * --retry-max-time budget, so a receiver that accepts a request and never answers cannot hold
 * it (and, once every slot is held, the run) for ever. 0 only when both are 0.
 */
export function requestTimeoutMs(timeoutMs: number, retry: RetryPolicy): number {
  return timeoutMs > 0 ? timeoutMs : retry.maxElapsedMs;
}
