import type { Hit, RuleInfo } from '../types.js';
import type { BatchView } from '../view.js';

/** A rule evaluated as records stream by: it folds batches into windows and hands out hits. */
export interface StreamRule {
  readonly info: RuleInfo;
  /** Folds the batch's matching rows into their windows. */
  observe(view: BatchView): void;
  /** Closes every window ending at or before `upTo` (Unix seconds of record time). */
  close(upTo: number, hit: (h: Hit) => void): void;
  /** Rows that arrived for a window already closed (beyond the lateness bound). */
  readonly late: number;
  /** Rows not counted because a window already held the most groups it may. */
  readonly dropped: number;
}
