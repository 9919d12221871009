import type { SinkResult } from '../core/types.js';
import { backoffDelay, DEFAULT_RETRY, type RetryPolicy, sleep } from './backoff.js';
import { deliveryDeadline } from './deadline.js';
import { DeliveryError } from './errors.js';

/** What the backend acknowledged for one attempt. */
export interface Outcome {
  /** Records accepted (a duplicate the backend already holds counts as accepted). */
  readonly delivered: number;
  /** Records refused for good (partial success, per-item errors): never retried. */
  readonly rejected: number;
  /** The backend's reason for the rejected records, or a warning when none was rejected. */
  readonly message?: string;
  /**
   * The part of the request still to send after a transient per-item failure (Elasticsearch
   * answers 429 per item): retried with backoff like a failed request, and only that part.
   */
  readonly remaining?: { readonly request: DeliveryRequest; readonly error: DeliveryError };
}

/** One request body ready to send, with the number of records it carries. */
export interface DeliveryRequest {
  readonly records: number;
  readonly bytes: number;
  /** One attempt: resolves with the outcome, rejects with a DeliveryError (or any error = transient). */
  send(): Promise<Outcome>;
  /** Called once when the request is settled, to give its buffer back to a pool. */
  release?(): void;
}

export interface DeliveryOptions {
  /** Names the sink in messages. */
  readonly name: string;
  /** Requests in flight at once; `submit` waits while they are all busy. */
  readonly maxInFlight: number;
  readonly retry?: RetryPolicy;
  /** Receives notices that are not failures (a partial success rejecting nothing, retries). */
  warn?(message: string): void;
}

const MAX_ERRORS = 10;

/**
 * The bounded in-flight queue and retry loop every network sink shares. `submit` resolves when
 * the request has a slot, so a slow backend slows the producer (backpressure) and at most
 * `maxInFlight` request bodies exist at once. Transient failures are retried with exponential
 * backoff and full jitter (Retry-After honoured); a permanent failure or exhausted retries count
 * the request's records as failed and make every later `submit` throw, which stops the run.
 */
export class Delivery {
  delivered = 0;
  rejected = 0;
  failed = 0;
  requests = 0;
  retries = 0;
  bytes = 0;
  private readonly errorCounts = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waiters: Array<() => void> = [];
  private fatalError: DeliveryError | undefined;
  private readonly policy: RetryPolicy;

  constructor(private readonly options: DeliveryOptions) {
    this.policy = options.retry ?? DEFAULT_RETRY;
  }

  /** The permanent failure that stopped this sink, if any. */
  get fatal(): DeliveryError | undefined {
    return this.fatalError;
  }

  /** Waits for a free slot, then starts sending. Throws once the sink has failed for good. */
  async submit(request: DeliveryRequest): Promise<void> {
    while (this.inFlight.size >= this.options.maxInFlight && !this.fatalError) {
      await new Promise<void>((r) => this.waiters.push(r));
    }
    if (this.fatalError) {
      this.abandon(request.records);
      request.release?.();
      throw new Error(this.fatalError.message);
    }
    const task = this.run(request).finally(() => {
      this.inFlight.delete(task);
      this.waiters.shift()?.();
    });
    this.inFlight.add(task);
  }

  /** Throws the permanent failure, if any: for a sink's `write` to stop the run early. */
  check(): void {
    if (this.fatalError) throw new Error(this.fatalError.message);
  }

  /**
   * Waits for the requests in flight now (not those submitted later): a checkpoint under
   * steady load must end even while other producers keep the queue busy.
   */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  /** Waits until nothing is in flight. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Counts records that will never be sent (the sink stopped before they went out). */
  abandon(records: number): void {
    this.failed += records;
  }

  /** Records a problem that makes the run fail, once per distinct text. */
  error(message: string): void {
    this.errorCounts.set(message, (this.errorCounts.get(message) ?? 0) + 1);
  }

  result(details: Record<string, number | string> = {}): SinkResult {
    const errors: string[] = [];
    for (const [msg, n] of this.errorCounts) {
      if (errors.length === MAX_ERRORS) {
        errors.push(`… and ${this.errorCounts.size - MAX_ERRORS} more distinct errors`);
        break;
      }
      errors.push(n > 1 ? `${msg} (×${n})` : msg);
    }
    return {
      delivered: this.delivered,
      rejected: this.rejected,
      failed: this.failed,
      errors,
      details: { requests: this.requests, retries: this.retries, bytes: this.bytes, ...details },
    };
  }

  private async run(first: DeliveryRequest): Promise<void> {
    const started = Date.now();
    // read per request: the Lambda handler moves it with each invocation (delivery/deadline.ts)
    const deadline = deliveryDeadline();
    let request = first;
    let attempt = 1;
    /** An attempt left unanswered at the deadline: buffers go back only once it settles. */
    let unsettled: Promise<unknown> | undefined;
    try {
      for (;;) {
        let failure: DeliveryError;
        try {
          this.requests++;
          this.bytes += request.bytes;
          const sending = request.send();
          const outcome = await beforeDeadline(sending, deadline, () => {
            unsettled = sending;
          });
          this.delivered += outcome.delivered;
          this.rejected += outcome.rejected;
          if (outcome.message) {
            if (outcome.rejected > 0)
              this.error(`${this.options.name}: backend rejected records: ${outcome.message}`);
            else this.options.warn?.(`${this.options.name}: backend warning: ${outcome.message}`);
          }
          if (!outcome.remaining) return;
          if (request !== first) request.release?.();
          request = outcome.remaining.request;
          failure = outcome.remaining.error;
        } catch (err) {
          failure = err instanceof DeliveryError ? err : new DeliveryError(String(err), true);
        }
        const elapsed = Date.now() - started;
        const delay = Math.min(
          backoffDelay(this.policy, attempt, failure.retryAfterMs),
          Math.max(0, this.policy.maxElapsedMs - elapsed),
        );
        const late = unsettled !== undefined || Date.now() + delay >= deadline;
        if (
          !failure.retryable ||
          late ||
          attempt >= this.policy.maxAttempts ||
          elapsed >= this.policy.maxElapsedMs
        ) {
          const why = !failure.retryable
            ? failure.message
            : late
              ? `gave up at the invocation deadline after ${attempt} attempt(s): ${failure.message}`
              : `gave up after ${attempt} attempts over ${Math.round(elapsed / 1000)} s: ${failure.message}`;
          this.failed += request.records;
          this.error(`${this.options.name}: ${why}`);
          if (!this.fatalError) this.fatalError = new DeliveryError(why, false);
          // Wake producers so they see the failure instead of waiting for a slot.
          for (const w of this.waiters.splice(0)) w();
          return;
        }
        this.retries++;
        attempt++;
        await sleep(delay);
      }
    } finally {
      const last = request;
      const release = (): void => {
        if (last !== first) last.release?.();
        first.release?.();
      };
      // a body still being sent must not be handed back for reuse
      if (unsettled) void unsettled.then(release, release);
      else release();
    }
  }
}

/**
 * The attempt's outcome, or a permanent DeliveryError once `deadline` (epoch ms) passes first;
 * `onLate` is told, since the attempt itself goes on until its own timeout.
 */
async function beforeDeadline<T>(attempt: Promise<T>, deadline: number, onLate: () => void): Promise<T> {
  if (deadline === Number.POSITIVE_INFINITY) return attempt;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => {
        onLate();
        reject(new DeliveryError('no answer before the invocation deadline', false));
      },
      Math.max(0, deadline - Date.now()),
    );
  });
  attempt.catch(() => undefined); // settled later, or never read: not an unhandled rejection
  try {
    return await Promise.race([attempt, late]);
  } finally {
    clearTimeout(timer);
  }
}
