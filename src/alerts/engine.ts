import type { FlowBatch } from '../batch/flow-batch.js';
import { AlertBook, type AlertEvent } from './book.js';
import type { AlertsConfig, MalformedSettings, RuleSet } from './config.js';
import type { StreamRule } from './rules/rule.js';
import type { Hit } from './types.js';
import { BatchView } from './view.js';

/** Record time the watermark must move before open alerts are checked for expiry again. */
const EXPIRY_STEP = 60;

/** Counts a run's malformed lines come in: the pipeline's statistics. */
export interface LineCounts {
  readonly records: number;
  readonly malformed: number;
}

/**
 * The streaming detection engine: every batch is viewed once (typed arrays shared by all rules),
 * each rule folds it into its windows; windows close when the watermark (the newest record time
 * seen minus the lateness bound) passes their end, and the hits they yield become alerts in the
 * book (grouped, deduplicated, cooled down). `observe` and `flush` return what happened.
 */
export class AlertEngine {
  private readonly book: AlertBook;
  private newest = Number.NEGATIVE_INFINITY;
  private lastExpiry = Number.NEGATIVE_INFINITY;
  private readonly rules: readonly StreamRule[];
  private readonly malformed: MalformedSettings | null;
  /** The current input's record time span and the line counts when it started. */
  private inputFirst = Number.POSITIVE_INFINITY;
  private inputLast = Number.NEGATIVE_INFINITY;
  private linesAtStart: LineCounts = { records: 0, malformed: 0 };
  records = 0;

  constructor(
    rules: RuleSet,
    private readonly config: Pick<AlertsConfig, 'cooldownSeconds' | 'latenessSeconds'>,
  ) {
    this.rules = rules.stream;
    this.malformed = rules.malformed;
    this.book = new AlertBook(config.cooldownSeconds);
  }

  get fired(): number {
    return this.book.fired;
  }

  /** Late and dropped rows over every rule. */
  get late(): number {
    return this.rules.reduce((n, r) => n + r.late, 0);
  }

  get dropped(): number {
    return this.rules.reduce((n, r) => n + r.dropped, 0);
  }

  observe(batch: FlowBatch): AlertEvent[] {
    const events: AlertEvent[] = [];
    if (batch.length === 0 || batch.encoded) return events;
    const view = new BatchView(batch);
    this.records += view.n;
    let newest = this.newest;
    let lo = this.inputFirst;
    let hi = this.inputLast;
    const time = view.time;
    for (let i = 0; i < view.n; i++) {
      const t = time[i]!;
      if (t > newest) newest = t;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    this.inputFirst = lo;
    this.inputLast = hi;
    for (const rule of this.rules) rule.observe(view);
    this.newest = newest;
    const watermark = newest - this.config.latenessSeconds;
    this.closeWindows(watermark, events);
    if (watermark - this.lastExpiry >= EXPIRY_STEP) {
      this.lastExpiry = watermark;
      this.book.expire(watermark, events);
    }
    return events;
  }

  /**
   * One input ended: checks its share of malformed lines (`counts` are the run's totals now).
   * Inputs run one after another, so the difference to the last call is this input's.
   */
  endInput(source: string, counts: LineCounts | undefined): AlertEvent[] {
    const events: AlertEvent[] = [];
    const m = this.malformed;
    if (m && counts) {
      const records = counts.records - this.linesAtStart.records;
      const malformed = counts.malformed - this.linesAtStart.malformed;
      const lines = records + malformed;
      if (malformed >= m.minLines && lines > 0 && malformed / lines >= m.threshold) {
        const now = Date.now() / 1000;
        const first = Number.isFinite(this.inputFirst) ? this.inputFirst : now;
        const last = Number.isFinite(this.inputLast) ? this.inputLast : now;
        this.book.add(
          {
            rule: m.info,
            key: source,
            group: { source },
            first,
            last,
            count: malformed,
            bytes: 0,
            packets: 0,
            sampleUids: [],
            measure: 'malformed share',
            value: Math.round((malformed / lines) * 10000) / 10000,
            threshold: m.threshold,
            extra: { lines },
          },
          events,
        );
      }
    }
    if (counts) this.linesAtStart = counts;
    this.inputFirst = Number.POSITIVE_INFINITY;
    this.inputLast = Number.NEGATIVE_INFINITY;
    return events;
  }

  /** Adds a hit found outside the streaming rules (a SQL rule over the store). */
  hit(h: Hit): AlertEvent[] {
    const events: AlertEvent[] = [];
    this.book.add(h, events);
    return events;
  }

  /** Closes every window and every open alert (end of a run, of an invocation, at shutdown). */
  flush(): AlertEvent[] {
    const events: AlertEvent[] = [];
    this.closeWindows(Number.POSITIVE_INFINITY, events);
    this.book.closeAll(events);
    return events;
  }

  private closeWindows(upTo: number, events: AlertEvent[]): void {
    const add = (h: Hit): void => this.book.add(h, events);
    for (const rule of this.rules) rule.close(upTo, add);
  }
}
