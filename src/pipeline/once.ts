import type { ResolvedOptions } from '../config/options.js';
import { RunStats } from '../core/stats.js';
import type { SinkResult, SourceInput } from '../core/types.js';
import { resolveInputs } from '../sources/resolve.js';
import type { BuildContext } from './build.js';
import type { RunReport } from './report.js';
import { SharedPipeline, type Unit } from './shared.js';

/** What a one-off run may watch and stop: progress hooks and a stop signal (see Unit). */
export type RunHooks = Pick<Unit, 'onInput' | 'onBatch' | 'stop'>;

/**
 * A command's run (`ingest`, `parse`, `demo`): the pipeline opened, every input delivered as one
 * unit, the sinks closed. Inputs given as strings are resolved as the command line names them
 * (files, directories, s3:// prefixes, - for stdin).
 */
export async function runOnce(
  inputs: readonly string[] | AsyncIterable<SourceInput> | Iterable<SourceInput>,
  options: ResolvedOptions,
  context: BuildContext,
  hooks: RunHooks = {},
): Promise<RunReport> {
  const stats = context.stats ?? new RunStats();
  const pipeline = await SharedPipeline.open(options, { ...context, stats }, {}, 'run');
  const sources = isStringArray(inputs)
    ? resolveInputs(inputs, options, { stats, log: context.log })
    : inputs;
  return runToEnd(pipeline, sources, stats, hooks);
}

/**
 * Every input through an open pipeline as one unit, then the pipeline closed: the unit's counts
 * and each sink's totals from closing (which also hold what the sink reports only then).
 */
export async function runToEnd(
  pipeline: SharedPipeline,
  inputs: AsyncIterable<SourceInput> | Iterable<SourceInput>,
  stats: RunStats,
  hooks: RunHooks = {},
): Promise<RunReport> {
  const receipt = await pipeline.deliver({ id: 'run', inputs, stats, ...hooks });
  const closed = await pipeline.close();
  // a failure the unit met (a write that threw) stays in the summary even if closing forgot it
  const sinks = closed.sinks.map((s, i) => withErrors(s, receipt.sinks[i]?.errors ?? []));
  return { stats, sinks, ok: receipt.ok && closed.ok };
}

function withErrors<T extends SinkResult>(result: T, errors: readonly string[]): T {
  const missing = errors.filter((e) => !result.errors.includes(e));
  return missing.length ? { ...result, errors: [...result.errors, ...missing] } : result;
}

function isStringArray(x: unknown): x is readonly string[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'string');
}
