import { StoreBaselines } from '../../alerts/baseline.js';
import type { AlertEvent } from '../../alerts/book.js';
import { buildRules, DEFAULT_ALERTS_CONFIG, readAlertsConfig } from '../../alerts/config.js';
import { buildOutputs } from '../../alerts/deliver/build.js';
import type { AlertOutput } from '../../alerts/deliver/output.js';
import { AlertEngine } from '../../alerts/engine.js';
import type { FlowBatch, SourceRef } from '../../batch/flow-batch.js';
import type { ResolvedOptions } from '../../config/options.js';
import { type Sink, type SinkCheckpoint, type SinkResult, settledCheckpoint } from '../../core/types.js';
import type { SinkContext } from '../registry.js';
import { parseAlertsSinkOptions } from './options.js';

export async function create(options: ResolvedOptions, context: SinkContext): Promise<Sink> {
  const parsed = parseAlertsSinkOptions(options, context.env);
  const config = parsed.configPath ? readAlertsConfig(parsed.configPath) : DEFAULT_ALERTS_CONFIG;
  // Beside a store (--to store), the baseline rules read the previous days from it.
  // Loaded on use: a Lambda bundle without a store never loads DuckDB.
  const store = parsed.baselineStore
    ? await (await import('../../store/shared.js')).acquireStore(
        parsed.baselineStore,
        typeof options['store-memory-mb'] === 'number' ? { memoryMb: options['store-memory-mb'] } : {},
      )
    : undefined;
  try {
    const baselines = store ? new StoreBaselines((sql) => store.query(sql), config) : undefined;
    const rules = buildRules(config, undefined, baselines);
    const outputs = await buildOutputs(parsed, context.log);
    return new AlertsSink(new AlertEngine(rules, config), outputs, context, parsed.windowsPerUnit, {
      ...(baselines ? { baselines } : {}),
      ...(store ? { release: () => store.release() } : {}),
    });
  } catch (err) {
    await store?.release();
    throw err;
  }
}

/** The store a streaming engine reads its baselines from, and how it lets go of it. */
export interface BaselineStore {
  readonly baselines?: StoreBaselines;
  release?(): Promise<void>;
}

/**
 * The detection engine as a sink: every batch is evaluated as it passes; alerts go to each
 * output through its delivery queue. Windows still open when the sink closes (end of a run, of
 * a Lambda invocation, of a request) are evaluated then.
 */
export class AlertsSink implements Sink {
  readonly name = 'alerts';
  private closed = false;

  constructor(
    private readonly engine: AlertEngine,
    private readonly outputs: readonly AlertOutput[],
    private readonly context: Pick<SinkContext, 'stats'>,
    private readonly windowsPerUnit = false,
    private readonly store: BaselineStore = {},
  ) {}

  async write(batch: FlowBatch): Promise<void> {
    if (this.closed) throw new Error('alerts sink: write after close');
    // the baselines of the batch's days, read from the store once per day
    if (this.store.baselines) await this.store.baselines.prepare(...timeSpan(batch));
    const events = this.engine.observe(batch);
    if (events.length > 0) await this.deliver(events);
  }

  async endInput(source: SourceRef): Promise<void> {
    const events = this.engine.endInput(source.id, this.context.stats);
    if (events.length > 0) await this.deliver(events);
  }

  /**
   * Streaming (serve, CLI): the records are taken once the engine has counted them into its
   * windows; alerts are derived data, so a unit's acknowledgement does not wait for a window to
   * close, and failed alert deliveries are reported at close. Per unit (a Lambda invocation,
   * which may be the container's last): every window closes now and the unit is acknowledged
   * only once its alerts are delivered.
   */
  async checkpoint(): Promise<SinkCheckpoint> {
    if (!this.windowsPerUnit) {
      return settledCheckpoint({ delivered: this.engine.records, rejected: 0, failed: 0, errors: [] });
    }
    const flushed = this.deliver(this.engine.flush());
    return {
      settled: flushed.then(async () => {
        const results = await Promise.all(this.outputs.map((o) => o.settle()));
        return {
          delivered: this.engine.records,
          rejected: 0,
          failed: results.reduce((n, r) => n + r.failed, 0),
          errors: results.flatMap((r) => r.errors),
        };
      }),
    };
  }

  async close(): Promise<SinkResult> {
    if (this.closed) return { delivered: 0, rejected: 0, failed: 0, errors: [] };
    this.closed = true;
    let flushError: unknown;
    try {
      await this.deliver(this.engine.flush());
    } catch (err) {
      flushError = err;
    }
    const results = await Promise.all(this.outputs.map((o) => o.close()));
    await this.store.release?.();
    const errors = results.flatMap((r) => r.errors);
    if (flushError)
      errors.push(`alerts: ${flushError instanceof Error ? flushError.message : String(flushError)}`);
    const details: Record<string, number | string> = {
      alerts: this.engine.fired,
      late: this.engine.late,
      dropped: this.engine.dropped,
    };
    this.outputs.forEach((o, k) => {
      details[`${o.name}_delivered`] = results[k]!.delivered;
      if (results[k]!.failed > 0) details[`${o.name}_failed`] = results[k]!.failed;
    });
    return {
      delivered: this.engine.records,
      rejected: 0,
      failed: results.reduce((n, r) => n + r.failed, 0),
      errors,
      details,
    };
  }

  private async deliver(events: readonly AlertEvent[]): Promise<void> {
    await Promise.all(this.outputs.map((o) => o.take(events)));
  }
}

/** The earliest and latest record time (`end`, else `start`) of a batch; NaN when it has none. */
function timeSpan(batch: FlowBatch): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  const end = batch.column('end');
  const start = batch.column('start');
  for (let i = 0; i < batch.length; i++) {
    let t = end?.kind === 'num' ? end.values[i]! : Number.NaN;
    if (Number.isNaN(t) && start?.kind === 'num') t = start.values[i]!;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  return Number.isFinite(lo) ? [lo, hi] : [Number.NaN, Number.NaN];
}
