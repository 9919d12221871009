import type { RunStats } from '../core/stats.js';
import type { SinkResult, SourceInput } from '../core/types.js';

/** What a run of the pipeline did: its counts and each sink's totals. */
export interface RunReport {
  readonly stats: RunStats;
  readonly sinks: ReadonlyArray<{ readonly name: string } & SinkResult>;
  /** True when every input was read to the end and every sink delivered everything. */
  readonly ok: boolean;
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

/** The error of an input that held no line at all: empty, blank lines, or only a header. */
export function nothingInInput(input: SourceInput): { source: string; message: string } {
  return {
    source: input.ref.id,
    message: 'no flow log records: the input is empty or holds only a header and blank lines',
  };
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
