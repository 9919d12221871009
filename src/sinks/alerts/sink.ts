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
  const rules = buildRules(config);
  const outputs = await buildOutputs(parsed, context.log);
  return new AlertsSink(new AlertEngine(rules, config), outputs, context, parsed.windowsPerUnit);
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
  ) {}

  async write(batch: FlowBatch): Promise<void> {
    if (this.closed) throw new Error('alerts sink: write after close');
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
