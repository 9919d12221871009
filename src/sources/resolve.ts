import type { ResolvedOptions } from '../config/options.js';
import type { RunStats } from '../pipeline/stats.js';
import type { SourceInput } from '../pipeline/types.js';

export interface ResolveContext {
  readonly stats: RunStats;
  log(message: string): void;
}

/** Expands CLI inputs (files, directories, s3:// prefixes, -) into source inputs. PLACEHOLDER: replaced by the decode stage. */
export async function* resolveInputs(
  _paths: readonly string[],
  _options: ResolvedOptions,
  _context: ResolveContext,
): AsyncIterable<SourceInput> {
  throw new Error('input resolution is not built yet');
}
