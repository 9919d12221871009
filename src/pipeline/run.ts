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
      stats.files++;
      plan.onInput?.(input, stats);
      try {
        for await (const batch of plan.decode(input, decodeOptions)) {
          // Decoding enriches when the plan asks it to (on decode threads where it can).
          if (!plan.decodeOptions?.enrich) for (const e of plan.enrichers) e.enrich(batch);
          await writeAll(plan.sinks, batch);
          plan.onBatch?.(batch, stats);
        }
        for (const s of plan.sinks) await s.endInput?.(input.ref);
      } catch (err) {
        if (err instanceof SinkError) throw err;
        stats.addError(inputError(input, err));
        for (const s of plan.sinks) await s.abortInput?.(input.ref);
      }
    }
  } catch (err) {
    sinkFailure = err;
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

function inputError(input: SourceInput, err: unknown): { source: string; offset?: number; message: string } {
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
