import type { OptionSpec, ResolvedOptions } from '../config/options.js';
import type { RunStats } from '../core/stats.js';
import type { Sink } from '../core/types.js';

/** What a sink is given when it is built. */
export interface SinkContext {
  readonly env: NodeJS.ProcessEnv;
  readonly stats: RunStats;
  /** A progress or diagnostic line for stderr. */
  log(message: string): void;
}

export interface SinkModule {
  create(options: ResolvedOptions, context: SinkContext): Promise<Sink>;
}

/**
 * A sink as the CLI, the server and the Lambda handler see it. Its options live in a light
 * `options.ts` so the CLI can parse every flag without loading every sink's dependencies.
 */
export interface SinkEntry {
  readonly name: string;
  readonly summary: string;
  readonly options: readonly OptionSpec[];
  load(): Promise<SinkModule>;
}

const entries: SinkEntry[] = [];

export function registerSink(entry: SinkEntry): void {
  if (entries.some((e) => e.name === entry.name)) throw new Error(`sink ${entry.name} registered twice`);
  entries.push(entry);
}

export function sinkEntries(): readonly SinkEntry[] {
  return entries;
}

export function findSink(name: string): SinkEntry | undefined {
  return entries.find((e) => e.name === name);
}

/** Every sink option, de-duplicated by name (sinks may share e.g. `schema`). */
export function allSinkOptions(): OptionSpec[] {
  const seen = new Map<string, OptionSpec>();
  for (const e of entries) for (const o of e.options) if (!seen.has(o.name)) seen.set(o.name, o);
  return [...seen.values()];
}
