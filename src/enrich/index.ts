import type { OptionSpec, ResolvedOptions } from '../config/options.js';
import type { Enricher } from '../pipeline/types.js';

/** PLACEHOLDER: replaced by the enrich stage. */
export const ENRICH_OPTIONS: readonly OptionSpec[] = [];

export async function buildEnrichers(_options: ResolvedOptions): Promise<Enricher[]> {
  return [];
}
