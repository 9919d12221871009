import { decodeInput } from '../decode/detect.js';
import { buildSinks } from '../pipeline/build.js';
import { type RunReport, runPipeline } from '../pipeline/run.js';
import type { RunStats } from '../core/stats.js';
import type { SourceInput } from '../core/types.js';
import type { LambdaRuntime } from './runtime.js';

/** Runs in-memory payloads (Kinesis records, an awslogs event) through the run loop into fresh sinks. */
export async function runPayloads(
  runtime: LambdaRuntime,
  inputs: readonly SourceInput[],
  stats: RunStats,
): Promise<RunReport> {
  const sinks = await buildSinks(runtime.options, {
    env: runtime.env,
    stats,
    log: (m) => runtime.log({ level: 'info', message: m }),
  });
  return runPipeline({
    inputs,
    decode: decodeInput,
    decodeOptions: { ...(runtime.format ? { format: runtime.format } : {}), batchSize: runtime.batchSize },
    enrichers: runtime.enrichers,
    sinks,
    stats,
  });
}

/** Records every sink took: the smallest sink count (all of them when there is no sink). */
export function deliveredBy(report: RunReport): number {
  if (report.sinks.length === 0) return report.stats.records;
  return Math.min(...report.sinks.map((s) => s.delivered));
}
