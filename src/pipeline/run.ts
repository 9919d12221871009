import type { FlowBatch } from '../batch/flow-batch.js';
import { RunStats } from '../core/stats.js';
import type { DecodeOptions, Decoder, Enricher, Sink, SinkResult, SourceInput } from '../core/types.js';

export interface RunPlan {
  readonly inputs: AsyncIterable<SourceInput> | Iterable<SourceInput>;
  readonly decode: Decoder;
  readonly decodeOptions?: Omit<DecodeOptions, 'stats'>;
  readonly enrichers: readonly Enricher[];
  readonly sinks: readonly Sink[];
  readonly stats?: RunStats;
  /** Called after every batch that reached the sinks (progress bars). */
  onBatch?(batch: FlowBatch, stats: RunStats): void;
  /** Called when an input starts. */
  onInput?(input: SourceInput, stats: RunStats): void;
  /**
   * Stops reading when aborted (a signal): the input being read is abandoned like a failed
   * one, the sinks are closed as usual, and the reason is recorded as an error.
   */
  readonly stop?: AbortSignal;
}

export interface RunReport {
  readonly stats: RunStats;
  readonly sinks: ReadonlyArray<{ readonly name: string } & SinkResult>;
  /** True when every input was read to the end and every sink delivered everything. */
  readonly ok: boolean;
}

/**
 * The run loop shared by the CLI, the server and the Lambda handler: each input is decoded,
 * enriched and handed to every sink; a sink's `write` resolves only when it has room, so a
 * slow sink slows decoding (backpressure). A failing input is recorded and the run moves on.
 */
export async function runPipeline(plan: RunPlan): Promise<RunReport> {
  const stats = plan.stats ?? new RunStats();
  const decodeOptions: DecodeOptions = { ...plan.decodeOptions, stats };
  let sinkFailure: unknown;
  try {
    for await (const input of plan.inputs) {
      if (plan.stop?.aborted) break;
      stats.files++;
      plan.onInput?.(input, stats);
      const before = { records: stats.records, malformed: stats.malformed };
      try {
        for await (const batch of stoppable(plan.decode(input, decodeOptions), plan.stop)) {
          // Decoding enriches when the plan asks it to (on decode threads where it can).
          if (!plan.decodeOptions?.enrich) for (const e of plan.enrichers) e.enrich(batch);
          await writeAll(plan.sinks, batch);
          plan.onBatch?.(batch, stats);
          if (plan.stop?.aborted) throw new StopRequest(plan.stop);
        }
        for (const s of plan.sinks) await s.endInput?.(input.ref);
        const malformed = stats.malformed - before.malformed;
        // Lines but not one record: a wrong format or an unreadable file, not a success.
        if (stats.records === before.records && malformed > 0)
          stats.addError(allMalformed(input, stats, malformed));
      } catch (err) {
        if (err instanceof SinkError) throw err;
        if (!(err instanceof StopRequest)) stats.addError(inputError(input, err));
        for (const s of plan.sinks) await s.abortInput?.(input.ref);
        if (err instanceof StopRequest) break;
      }
    }
  } catch (err) {
    sinkFailure = err;
  }
  if (plan.stop?.aborted) {
    const reason = plan.stop.reason;
    const why = typeof reason === 'string' ? reason : 'stopped';
    stats.addError({ source: 'run', message: `${why}: inputs not read to the end` });
  }
  const sinks: Array<{ name: string } & SinkResult> = [];
  for (const s of plan.sinks) {
    try {
      sinks.push({ name: s.name, ...(await s.close()) });
    } catch (err) {
      sinks.push({ name: s.name, delivered: 0, rejected: 0, failed: 0, errors: [errorText(err)] });
    }
  }
  if (sinkFailure) {
    const msg = sinkFailure instanceof SinkError ? sinkFailure.message : errorText(sinkFailure);
    stats.addError({ source: 'pipeline', message: msg });
  }
  const ok =
    stats.errors.length === 0 &&
    sinks.every((s) => s.failed === 0 && s.rejected === 0 && s.errors.length === 0);
  return { stats, sinks, ok };
}

/** Thrown between batches when the run is asked to stop. */
class StopRequest extends Error {
  override name = 'StopRequest';
  constructor(signal: AbortSignal) {
    super(String(signal.reason));
  }
}

/**
 * The batches, until `stop` aborts: then a StopRequest, at once, even while the decoder waits
 * for input (stdin that stays open). The decoder is told to return without being waited for.
 */
async function* stoppable(batches: AsyncIterable<FlowBatch>, stop?: AbortSignal): AsyncGenerator<FlowBatch> {
  if (!stop) {
    yield* batches;
    return;
  }
  const it = batches[Symbol.asyncIterator]();
  let stopped: () => void = () => undefined;
  const onStop = new Promise<'stop'>((resolve) => {
    stopped = () => resolve('stop');
  });
  stop.addEventListener('abort', stopped, { once: true });
  let done = false;
  try {
    for (;;) {
      if (stop.aborted) throw new StopRequest(stop);
      const next = await Promise.race([it.next(), onStop]);
      if (next === 'stop') throw new StopRequest(stop);
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    stop.removeEventListener('abort', stopped);
    // a decoder waiting for input returns once its read ends; nobody waits for that here
    if (!done) it.return?.(undefined).catch(() => undefined);
  }
}

/** A sink failed for good: the run stops rather than decoding input nobody can take. */
export class SinkError extends Error {
  override name = 'SinkError';
}

async function writeAll(sinks: readonly Sink[], batch: FlowBatch): Promise<void> {
  if (sinks.length === 1) {
    await wrapSink(sinks[0]!, batch);
    return;
  }
  await Promise.all(sinks.map((s) => wrapSink(s, batch)));
}

async function wrapSink(sink: Sink, batch: FlowBatch): Promise<void> {
  try {
    await sink.write(batch);
  } catch (err) {
    throw err instanceof SinkError ? err : new SinkError(`sink ${sink.name}: ${errorText(err)}`);
  }
}

/** The error of an input in which every line was malformed. */
export function allMalformed(
  input: SourceInput,
  stats: RunStats,
  malformed: number,
): { source: string; message: string } {
  const first = stats.malformedSamples.find((p) => p.source === input.ref.id);
  const example = first ? ` (line ${first.line ?? '?'}: ${first.message})` : '';
  const lines = malformed === 1 ? 'its 1 line is' : `all ${malformed} lines are`;
  return { source: input.ref.id, message: `no usable record: ${lines} malformed${example}` };
}

export function inputError(
  input: SourceInput,
  err: unknown,
): { source: string; offset?: number; message: string } {
  const offset = (err as { offset?: unknown }).offset;
  return {
    source: input.ref.id,
    ...(typeof offset === 'number' ? { offset } : {}),
    message: errorText(err),
  };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
