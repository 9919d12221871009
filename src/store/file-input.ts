import { createReadStream, statSync } from 'node:fs';
import type { SourceInput } from '../pipeline/types.js';

/** A local file as a pipeline input (the demo's generated sample). */
export function fileInput(path: string): SourceInput {
  return {
    ref: { id: path },
    size: statSync(path).size,
    open: (offset?: number) => createReadStream(path, offset ? { start: offset } : {}),
  };
}
