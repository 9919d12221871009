import type { FlowBatch } from '../batch/flow-batch.js';
import { optionsOf, type ResolvedOptions } from '../config/options.js';
import { RunStats } from '../core/stats.js';
import type { Decoder, Sink, SinkResult, SourceInput } from '../core/types.js';
import type { StoreHandle } from '../store/shared.js';
import { type BuildContext, buildSinks, buildStages, type Stages, TO_OPTION } from './build.js';
import { allMalformed, errorText, inputError, nothingInInput, type RunReport } from './report.js';
import { type SinkLease, SinkSlot } from './sink-slot.js';
import { StopRequest, stoppable } from './stop.js';

/**
 * What a front hands the pipeline and gets a receipt for: a Firehose request, an SQS message,
 * an S3 object, one CLI input. Its inputs are decoded, enriched and written to every sink.
 */
export interface Unit {
  /** Names the unit in logs: `firehose:<requestId>`, `sqs:<messageId>`. */
  readonly id: string;
  readonly inputs: AsyncIterable<SourceInput> | Iterable<SourceInput>;
  /** A decoder wrapping the pipeline's (the Lambda's time budget); default: the pipeline's. */
  wrapDecoder?(decode: Decoder): Decoder;
  /** Counts go here (default: a new RunStats). */
  readonly stats?: RunStats;
  /** Called when an input starts (progress). */
  onInput?(input: SourceInput, stats: RunStats): void;
  /** Called after every batch that reached the sinks (progress). */
  onBatch?(batch: FlowBatch, stats: RunStats): void;
  /**
   * Stops reading when aborted: the input being read is abandoned like a failed one (the sinks
   * roll back what they can), later inputs are not read, and the reason is recorded as an error.
   */
  readonly stop?: AbortSignal;
}

/**
 * The answer for one unit. `ok` means every record it decoded reached every sink and was
 * acknowledged there (and every input was read to its end); each sink's `delivered` is this
 * unit's records when it delivered them, else its `failed`.
 */
export interface Receipt extends RunReport {
  readonly unit: string;
  /** True when a sink failed (worth a retry); false when only the input was at fault. */
  readonly sinkFailed: boolean;
  /** The latest `end` (epoch seconds) among its records, when decoded into columns. */
  readonly newestEnd?: number;
}

/** How long a pipeline lives: the life of a process serving many units, or one command's run. */
export type Lifetime = 'service' | 'run';

/** Hooks for metrics: called as work goes through (all optional). */
export interface PipelineObserver {
  batch?(batch: FlowBatch): void;
  unit?(receipt: Receipt, seconds: number): void;
}

/**
 * A pipeline built once and used by many units, concurrently: what `serve` and a warm Lambda
 * container hold for their whole life. Every unit shares the same sinks (one connection pool,
 * one store); a sink that fails is replaced for later units (SinkSlot).
 */
export class SharedPipeline {
  private readonly slots: SinkSlot[];
  private inFlight = 0;
  private readonly idle: Array<() => void> = [];
  private closed: Promise<RunReport> | undefined;
  /** Totals over every unit, for the final report. */
  readonly stats = new RunStats();

  private constructor(
    private readonly stages: Stages,
    rebuild: (index: number) => Promise<Sink>,
    log: (message: string) => void,
    private readonly observer: PipelineObserver,
    /** The store's file when a sink writes one (`--db`); undefined: the default. */
    private readonly db: string | undefined,
    lifetime: Lifetime,
  ) {
    const recover = lifetime === 'service';
    this.slots = stages.sinks.map((sink, i) => new SinkSlot(sink, () => rebuild(i), log, recover));
  }

  /**
   * Builds the stages (validating every option) once. A `service` (serve, a warm Lambda
   * container) rebuilds a failed sink in the background until it can deliver again; a `run`
   * (one CLI command) ends with its one unit and does not.
   */
  static async open(
    options: ResolvedOptions,
    context: BuildContext,
    observer: PipelineObserver = {},
    lifetime: Lifetime = 'service',
  ): Promise<SharedPipeline> {
    const stages = await buildStages(options, context);
    const pipeline: SharedPipeline = new SharedPipeline(
      stages,
      async (i) => {
        const stats = context.stats ?? pipeline.stats;
        const built = await buildSinks(onlySink(options, i), { env: context.env, stats, log: context.log });
        return built[0]!;
      },
      context.log,
      observer,
      typeof options.db === 'string' ? options.db : undefined,
      lifetime,
    );
    return pipeline;
  }

  /**
   * A pipeline over stages put together by the caller (the Firehose transformation, whose
   * response sink belongs to one invocation). A sink that fails is not rebuilt: later units fail.
   */
  static of(stages: Stages, log: (message: string) => void): SharedPipeline {
    const rebuild = (i: number): Promise<Sink> =>
      Promise.reject(new Error(`sink ${stages.sinks[i]!.name} failed and is not rebuilt`));
    return new SharedPipeline(stages, rebuild, log, {}, undefined, 'run');
  }

  /** Units being delivered now. */
  get busy(): number {
    return this.inFlight;
  }

  /**
   * False while a sink has failed and its replacement has not shown it can deliver (a probe the
   * backend answered, or a unit delivered through it); slots recover in the background.
   */
  get ready(): boolean {
    return this.slots.every((s) => s.healthy);
  }

  /** Each sink's health and retries, in `--to` order (for metrics and /readyz). */
  sinkStates(): Array<{ name: string; healthy: boolean; retries: number }> {
    return this.slots.map((s) => ({ name: s.name, healthy: s.healthy, retries: s.retries }));
  }

  /** Decodes, enriches and writes a unit's inputs; resolves once every sink has acknowledged them. */
  async deliver(unit: Unit): Promise<Receipt> {
    if (this.closed) throw new Error('the pipeline is closed');
    this.inFlight++;
    const started = performance.now();
    try {
      const receipt = await this.run(unit);
      this.observer.unit?.(receipt, (performance.now() - started) / 1000);
      return receipt;
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const wake of this.idle.splice(0)) wake();
    }
  }

  /** Resolves when no unit is in flight. */
  drained(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /**
   * A reader of the store this pipeline writes, on the same DuckDB instance (`--to store`);
   * undefined without a store sink. Release it when done.
   */
  async storeReader(): Promise<StoreHandle | undefined> {
    if (!this.slots.some((s) => s.name === 'store')) return undefined;
    // Loaded on use: fronts without a store (the Lambda bundle) never load DuckDB.
    const [{ acquireStore }, { DEFAULT_DB }] = await Promise.all([
      import('../store/shared.js'),
      import('../store/store.js'),
    ]);
    return acquireStore(this.db ?? DEFAULT_DB);
  }

  /** Waits for the units in flight, then closes every sink; the totals of the pipeline's life. */
  close(): Promise<RunReport> {
    this.closed ??= (async () => {
      await this.drained();
      const sinks: Array<{ name: string } & SinkResult> = [];
      for (const slot of this.slots) {
        try {
          sinks.push({ name: slot.name, ...(await slot.close()) });
        } catch (err) {
          sinks.push({ name: slot.name, delivered: 0, rejected: 0, failed: 0, errors: [errorText(err)] });
        }
      }
      const ok = sinks.every((s) => s.failed === 0 && s.rejected === 0 && s.errors.length === 0);
      return { stats: this.stats, sinks, ok };
    })();
    return this.closed;
  }

  private async run(unit: Unit): Promise<Receipt> {
    const stats = unit.stats ?? new RunStats();
    const decode = unit.wrapDecoder ? unit.wrapDecoder(this.stages.decode) : this.stages.decode;
    const decodeOptions = { ...this.stages.decodeOptions, stats };
    const newest = { end: Number.NaN };
    let leases: SinkLease[] = [];
    let sinkError: string | undefined;
    try {
      leases = await Promise.all(this.slots.map((s) => s.lease()));
    } catch (err) {
      sinkError = `cannot start a sink: ${errorText(err)}`;
    }
    if (!sinkError) {
      try {
        for await (const input of unit.inputs) {
          if (unit.stop?.aborted) break;
          stats.files++;
          unit.onInput?.(input, stats);
          const failed = await this.deliverInput(unit, input, decode, decodeOptions, leases, stats, newest);
          if (failed) {
            sinkError = failed;
            break;
          }
        }
      } catch (err) {
        if (!(err instanceof StopRequest)) stats.addError({ source: unit.id, message: errorText(err) });
      }
    }
    if (unit.stop?.aborted) {
      const reason = unit.stop.reason;
      const why = typeof reason === 'string' ? reason : 'stopped';
      stats.addError({ source: 'run', message: `${why}: inputs not read to the end` });
    }
    const acknowledged = await Promise.all(leases.map((l) => l.settle()));
    for (const l of leases) l.release();
    const sinks = leases.map((l, i) => ({
      name: l.name,
      delivered: acknowledged[i] ? l.written : 0,
      rejected: 0,
      failed: acknowledged[i] ? 0 : l.written,
      errors: l.failure ? [l.failure] : [],
    }));
    if (sinkError && !sinks.some((s) => s.errors.length))
      stats.addError({ source: 'pipeline', message: sinkError });
    const sinkFailed = sinkError !== undefined || acknowledged.some((a) => !a);
    const ok = !sinkFailed && stats.errors.length === 0;
    this.stats.merge(stats);
    return {
      unit: unit.id,
      stats,
      sinks,
      ok,
      sinkFailed,
      ...(Number.isNaN(newest.end) ? {} : { newestEnd: newest.end }),
    };
  }

  /** One input through every sink; a sink's failure text, or undefined (an input error is counted). */
  private async deliverInput(
    unit: Unit,
    input: SourceInput,
    decode: Decoder,
    decodeOptions: Parameters<Decoder>[1],
    leases: readonly SinkLease[],
    stats: RunStats,
    newest: { end: number },
  ): Promise<string | undefined> {
    const before = { records: stats.records, malformed: stats.malformed, lines: linesSeen(stats) };
    try {
      for await (const batch of stoppable(decode(input, decodeOptions), unit.stop)) {
        newest.end = newestEnd(batch, newest.end);
        this.observer.batch?.(batch);
        await writeAll(leases, input, batch);
        unit.onBatch?.(batch, stats);
        if (unit.stop?.aborted) throw new StopRequest(unit.stop);
      }
      await Promise.all(leases.map((l) => l.endInput(input.ref)));
      const malformed = stats.malformed - before.malformed;
      // Lines but not one record: a wrong format or an unreadable input, not a success.
      if (stats.records === before.records && malformed > 0)
        stats.addError(allMalformed(input, stats, malformed));
      else if (linesSeen(stats) === before.lines) stats.addError(nothingInInput(input));
      return undefined;
    } catch (err) {
      await Promise.all(leases.map((l) => l.abortInput(input.ref)));
      if (err instanceof LeaseError) return err.message;
      if (err instanceof StopRequest) throw err;
      stats.addError(inputError(input, err));
      return undefined;
    }
  }
}

/** Lines that meant something so far: records, malformed lines, NODATA/SKIPDATA, control messages. */
function linesSeen(stats: RunStats): number {
  return stats.records + stats.malformed + stats.nodata + stats.skipdata + stats.control;
}

/** The largest `end` of the batch's records, or `floor` (NaN: none yet). */
function newestEnd(batch: FlowBatch, floor: number): number {
  const col = batch.column('end');
  if (col?.kind !== 'num') return floor;
  let m = floor;
  for (let i = 0; i < batch.length; i++) {
    const v = col.values[i]!;
    if (!(v <= m)) m = Number.isNaN(v) ? m : v;
  }
  return m;
}

class LeaseError extends Error {
  override name = 'LeaseError';
}

async function writeAll(leases: readonly SinkLease[], input: SourceInput, batch: FlowBatch): Promise<void> {
  await Promise.all(
    leases.map((l) =>
      l.write(input.ref, batch).catch((err: unknown) => {
        throw new LeaseError(`sink ${l.name}: ${errorText(err)}`);
      }),
    ),
  );
}

/** The options with `--to` narrowed to the i-th sink (to rebuild that one alone). */
function onlySink(options: ResolvedOptions, i: number): ResolvedOptions {
  const names = optionsOf([TO_OPTION], options).to;
  return { ...options, to: [names[i]!] };
}
