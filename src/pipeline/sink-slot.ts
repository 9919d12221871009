import type { FlowBatch, SourceRef } from '../batch/flow-batch.js';
import type { Sink, SinkResult } from '../core/types.js';

/** Records a sink has given up on, by its totals: what a unit's acknowledgement watches. */
export function failuresOf(r: SinkResult): number {
  return r.failed + r.rejected + r.errors.length;
}

/**
 * One sink instance and the discipline a long-lived sink needs when several units use it at
 * once: calls are serialized (a sink's write is not re-entrant), a `oneInputAtATime` sink is
 * handed one input's batches at a time, and the highest failure count any checkpoint saw is
 * kept, so a unit can tell whether something failed while it was in the sink.
 */
class SinkInstance {
  users = 0;
  /** Set once the sink threw or counted a failure: no new unit uses it. */
  private failed = false;
  /**
   * False for a sink built to replace a failed one until its backend answered: a probe or a
   * unit delivered through it.
   */
  proven: boolean;
  /** Highest failuresOf() seen at a checkpoint. */
  failures = 0;
  /** The totals of the latest checkpoint. */
  last: SinkResult | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private owner: string | undefined;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly sink: Sink,
    proven: boolean,
    private readonly onBroken: () => void,
  ) {
    this.proven = proven;
  }

  get broken(): boolean {
    return this.failed;
  }

  /** The sink failed: no new unit uses it, and its slot starts recovering. */
  markBroken(): void {
    if (this.failed) return;
    this.failed = true;
    this.onBroken();
  }

  /** Runs one call on the sink after every call queued before it. */
  serial<T>(call: () => Promise<T>): Promise<T> {
    const run = this.chain.then(call, call);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Waits until `input` may write (only for a sink that takes one input at a time). */
  async own(input: string): Promise<void> {
    if (!this.sink.oneInputAtATime) return;
    while (this.owner !== undefined && this.owner !== input) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.owner = input;
  }

  disown(input: string): void {
    if (this.owner !== input) return;
    this.owner = undefined;
    this.waiting.shift()?.();
  }
}

/** A unit's use of one sink: written records counted, acknowledged by a checkpoint. */
export class SinkLease {
  written = 0;
  failure: string | undefined;
  private readonly baseline: number;

  constructor(
    private readonly instance: SinkInstance,
    private readonly done: () => void,
  ) {
    this.baseline = instance.failures;
    instance.users++;
  }

  get name(): string {
    return this.instance.sink.name;
  }

  async write(input: SourceRef, batch: FlowBatch): Promise<void> {
    const length = batch.length;
    await this.instance.own(input.id);
    await this.guard(() => this.instance.serial(() => this.instance.sink.write(batch)));
    this.written += length;
  }

  async endInput(input: SourceRef): Promise<void> {
    try {
      await this.guard(() => this.instance.serial(async () => this.instance.sink.endInput?.(input)));
    } finally {
      this.instance.disown(input.id);
    }
  }

  /** Rolls back what the sink can of a failed input; never throws (the input already failed). */
  async abortInput(input: SourceRef): Promise<void> {
    try {
      await this.instance.serial(async () => this.instance.sink.abortInput?.(input));
    } catch {
      // the input is reported failed either way
    } finally {
      this.instance.disown(input.id);
    }
  }

  /**
   * True when everything this unit wrote is delivered: the checkpoint's totals show no failure
   * beyond those seen before the unit began (a failure of another unit meanwhile also counts:
   * the unit is then retried rather than wrongly acknowledged).
   */
  async settle(): Promise<boolean> {
    if (this.failure) return false;
    try {
      const checkpoint = await this.instance.serial(() => this.instance.sink.checkpoint());
      const totals = await checkpoint.settled;
      this.instance.last = totals;
      const seen = failuresOf(totals);
      if (seen > this.instance.failures) this.instance.failures = seen;
      if (seen > this.baseline) {
        this.instance.markBroken();
        this.failure = totals.errors.at(-1) ?? `${totals.failed + totals.rejected} records not delivered`;
        return false;
      }
      this.instance.proven = true;
      return true;
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  release(): void {
    this.instance.users--;
    this.done();
  }

  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      this.fail(err);
      throw err;
    }
  }

  private fail(err: unknown): void {
    this.instance.markBroken();
    this.failure ??= err instanceof Error ? err.message : String(err);
  }
}

/** First wait before a failed sink is rebuilt and probed in the background; doubled up to the cap. */
const RECOVERY_FIRST_MS = 500;
const RECOVERY_MAX_MS = 30_000;

/**
 * A sink position of the pipeline (one per `--to`). A sink that failed is replaced by a freshly
 * built one for the units that start after; the failed one is closed once its last unit is
 * done, and its totals join the slot's. Without waiting for a unit, the slot also rebuilds a
 * failed sink in the background, on a backoff, and probes the new one (Sink.probe) until the
 * backend answers: readiness comes back when the sink can deliver again.
 */
export class SinkSlot {
  private current: SinkInstance;
  private replacing: Promise<SinkInstance> | undefined;
  private readonly retired: Array<Promise<SinkResult>> = [];
  private readonly retiring = new Set<SinkInstance>();
  private retiredRetries = 0;
  private recovery: NodeJS.Timeout | undefined;
  private recoveries = 0;
  private closing = false;

  constructor(
    sink: Sink,
    private readonly rebuild: () => Promise<Sink>,
    private readonly log: (message: string) => void,
    /** False for a pipeline of one run: a failed sink is rebuilt only when a unit needs it. */
    private readonly recoverInBackground = true,
  ) {
    this.current = this.instance(sink, true);
  }

  get name(): string {
    return this.current.sink.name;
  }

  /** The sink new units write to now. */
  get sink(): Sink {
    return this.current.sink;
  }

  /** False while the sink in use has failed, or replaces a failed one and its backend has not answered yet. */
  get healthy(): boolean {
    return !this.current.broken && this.current.proven;
  }

  /** Requests the sink's delivery queue retried, over every instance (from their checkpoints). */
  get retries(): number {
    return this.retiredRetries + retriesOf(this.current.last);
  }

  /** A lease on the sink for one unit; a broken sink is replaced first. */
  async lease(): Promise<SinkLease> {
    if (this.current.broken) await this.replace();
    const instance = this.current;
    return new SinkLease(instance, () => this.retireIfDone(instance));
  }

  /** Closes the sink in use and every retired one; the totals of all of them. */
  async close(): Promise<SinkResult> {
    this.closing = true;
    clearTimeout(this.recovery);
    this.recovery = undefined;
    await this.replacing?.catch(() => undefined);
    const results = await Promise.all([...this.retired, this.current.sink.close()]);
    return sumResults(results);
  }

  private async replace(): Promise<void> {
    this.replacing ??= (async () => {
      const old = this.current;
      const sink = await this.rebuild();
      this.log(`sink ${sink.name}: replaced after a failure`);
      this.current = this.instance(sink, sink.probe === undefined);
      this.retiring.add(old);
      this.retiredRetries += retriesOf(old.last);
      this.retireIfDone(old);
      return this.current;
    })().finally(() => {
      this.replacing = undefined;
    });
    await this.replacing;
  }

  private instance(sink: Sink, proven: boolean): SinkInstance {
    const made: SinkInstance = new SinkInstance(sink, proven, () => {
      if (made === this.current) this.scheduleRecovery();
    });
    return made;
  }

  /** Tries to recover after the next backoff delay, unless a try is already due. */
  private scheduleRecovery(): void {
    if (!this.recoverInBackground || this.closing || this.recovery) return;
    const delay = Math.min(RECOVERY_MAX_MS, RECOVERY_FIRST_MS * 2 ** Math.min(this.recoveries++, 16));
    this.recovery = setTimeout(() => {
      this.recovery = undefined;
      void this.recover();
    }, delay);
    // a process with nothing else to do does not stay up for this
    this.recovery.unref();
  }

  /** Rebuilds a failed sink and probes an unproven one; tries again later if either fails. */
  private async recover(): Promise<void> {
    if (this.closing) return;
    try {
      if (this.current.broken) await this.replace();
      const instance = this.current;
      if (!instance.proven && !instance.broken) {
        await instance.sink.probe?.();
        instance.proven = true;
      }
      if (!this.healthy) throw new Error('failed again');
      this.recoveries = 0;
      this.log(`sink ${this.name}: can deliver again`);
    } catch (err) {
      if (this.closing) return;
      this.log(`sink ${this.name}: cannot deliver yet: ${err instanceof Error ? err.message : String(err)}`);
      this.scheduleRecovery();
    }
  }

  private retireIfDone(instance: SinkInstance): void {
    if (instance.users > 0 || !this.retiring.delete(instance)) return;
    const closed = instance.sink.close().catch(
      (err: unknown): SinkResult => ({
        delivered: 0,
        rejected: 0,
        failed: 0,
        errors: [err instanceof Error ? err.message : String(err)],
      }),
    );
    this.retired.push(closed);
  }
}

function retriesOf(r: SinkResult | undefined): number {
  const n = r?.details?.retries;
  return typeof n === 'number' ? n : 0;
}

function sumResults(results: readonly SinkResult[]): SinkResult {
  const last = results.at(-1)!;
  return {
    delivered: results.reduce((n, r) => n + r.delivered, 0),
    rejected: results.reduce((n, r) => n + r.rejected, 0),
    failed: results.reduce((n, r) => n + r.failed, 0),
    errors: [...new Set(results.flatMap((r) => r.errors))],
    ...(last.details ? { details: last.details } : {}),
  };
}
