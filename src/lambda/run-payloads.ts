import type { RunStats } from '../core/stats.js';
import type { SourceInput } from '../core/types.js';
import type { RunReport } from '../pipeline/report.js';
import type { LambdaRuntime } from './runtime.js';

/** Runs in-memory payloads (Kinesis records, an awslogs event) through the container's pipeline. */
export async function runPayloads(
  runtime: LambdaRuntime,
  id: string,
  inputs: readonly SourceInput[],
  stats: RunStats,
): Promise<RunReport> {
  const pipeline = await runtime.pipeline();
  return pipeline.deliver({ id, inputs, stats });
}

/** Records every sink took: the smallest sink count (all of them when there is no sink). */
export function deliveredBy(report: RunReport): number {
  if (report.sinks.length === 0) return report.stats.records;
  return Math.min(...report.sinks.map((s) => s.delivered));
}
