import type { OptionSpec } from '../config/options.js';

/** Options of the input side (S3 listing, time pruning). Owned by the sources stage. */
export const SOURCE_OPTIONS: readonly OptionSpec[] = [];
