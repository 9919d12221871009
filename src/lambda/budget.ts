import type { FlowBatch } from '../batch/flow-batch.js';
import { sliceBatch } from '../batch/slice.js';
import { type Problem, RunStats } from '../core/stats.js';
import type { Decoder, SourceInput } from '../core/types.js';
import { setDeliveryDeadline } from '../delivery/deadline.js';

/** The invocation's time budget: stop handing out work once less than `reserveMs` is left. */
export interface TimeBudget {
  remainingMs(): number;
  readonly reserveMs: number;
}

/**
 * Sets the deadline of this invocation's deliveries: every retry and wait ends by the time half
 * the reserve is left, so the handler still has time to settle and report failures. Returns
 * the function that clears it when the invocation ends.
 */
export function deliveryDeadlineFor(budget: TimeBudget): () => void {
  const remaining = budget.remainingMs();
  if (Number.isFinite(remaining)) setDeliveryDeadline(Date.now() + remaining - budget.reserveMs / 2);
  return () => setDeliveryDeadline(undefined);
}

/** Where the run stopped for lack of time: the input and the last record position delivered. */
export interface StopPoint {
  readonly input: SourceInput;
  readonly after: number;
}

/**
 * Shared between the decoder wrapper and the input iterator of one run: inputs resumed from
 * a continuation (skip every record at or before `after`), and where the run stopped.
 */
export class BudgetState {
  stopped: StopPoint | undefined;
  /** True once any batch went out in this invocation: a stop before that would make no progress. */
  progressed = false;
  readonly resumeAfter = new Map<SourceInput, number>();

  constructor(readonly budget: TimeBudget) {}

  low(): boolean {
    return this.progressed && this.budget.remainingMs() < this.budget.reserveMs;
  }
}

/**
 * Wraps a decoder so a run can stop between batches (a record boundary) when time runs low,
 * and so a resumed input drops the records an earlier invocation already delivered.
 *
 * The inner decoder counts into its own stats, because it counts a batch when it builds it,
 * which may be before (or without) that batch being passed on. The run's stats get the
 * records and NODATA/SKIPDATA of the batches actually passed on, and the malformed lines
 * after the resume point up to the last record passed on (all of them when the input ends):
 * the lines after a stop are the continuation's to count.
 */
export function budgetedDecoder(inner: Decoder, state: BudgetState): Decoder {
  return async function* (input, options) {
    const skip = state.resumeAfter.get(input) ?? 0;
    const counts = new ForwardingStats(options.stats, skip);
    let last = skip;
    const batches = inner(input, { ...options, stats: counts })[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await batches.next();
        if (next.done) {
          counts.forward(Number.POSITIVE_INFINITY);
          return;
        }
        let batch: FlowBatch | undefined = next.value;
        if (state.low()) {
          // Checked after the pull, so an input that just ended needs no continuation. The
          // batch in hand is left to the continuation, which resumes after `last`.
          state.stopped = { input, after: last };
          return;
        }
        if (skip > 0) batch = dropThrough(batch, skip);
        if (!batch) continue;
        last = maxPosition(batch, last);
        counts.forward(last);
        countPassedOn(options.stats, batch);
        state.progressed = true;
        yield batch;
      }
    } catch (err) {
      counts.forward(Number.POSITIVE_INFINITY); // the input failed: no continuation reads on
      throw err;
    } finally {
      options.stats.bytesIn += counts.bytesIn;
      options.stats.control += counts.control;
      await batches.return?.(undefined);
    }
  };
}

/**
 * Stats for the inner decoder: errors and warnings go through; malformed lines after the
 * resume point wait until the records around them are passed on (`forward`).
 */
class ForwardingStats extends RunStats {
  private pending: Problem[] = [];

  constructor(
    private readonly target: RunStats,
    private readonly after: number,
  ) {
    super();
  }

  override addMalformed(problem: Problem): void {
    super.addMalformed(problem);
    if ((problem.line ?? Number.POSITIVE_INFINITY) > this.after) this.pending.push(problem);
  }

  /** Passes on the malformed lines up to line `through`. */
  forward(through: number): void {
    const keep: Problem[] = [];
    for (const p of this.pending) {
      if ((p.line ?? Number.POSITIVE_INFINITY) <= through) this.target.addMalformed(p);
      else keep.push(p);
    }
    this.pending = keep;
  }

  override addError(problem: Problem): void {
    this.target.addError(problem);
  }

  override warn(message: string): void {
    this.target.warn(message);
  }
}

function countPassedOn(stats: RunStats, batch: FlowBatch): void {
  stats.records += batch.length;
  const col = batch.column('log_status');
  if (col?.kind !== 'str') return;
  const nodata = col.dict.indexOf('NODATA');
  const skipdata = col.dict.indexOf('SKIPDATA');
  if (nodata < 1 && skipdata < 1) return;
  for (let i = 0; i < batch.length; i++) {
    const code = col.codes[i]!;
    if (code === nodata) stats.nodata++;
    else if (code === skipdata) stats.skipdata++;
  }
}

function maxPosition(batch: FlowBatch, floor: number): number {
  let m = floor;
  for (let i = 0; i < batch.length; i++) if (batch.positions[i]! > m) m = batch.positions[i]!;
  return m;
}

/** The rows whose position is after `after` (positions rise within a batch), or undefined for none. */
export function dropThrough(batch: FlowBatch, after: number): FlowBatch | undefined {
  let start = 0;
  while (start < batch.length && batch.positions[start]! <= after) start++;
  if (start === 0) return batch;
  if (start === batch.length) return undefined;
  return sliceBatch(batch, start, batch.length);
}
