import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ResolvedOptions } from '../config/options.js';
import type { RunStats } from '../core/stats.js';
import type { SourceInput } from '../core/types.js';
import { fileInput, stdinInput, streamFileInput, walkDirectory } from './files.js';

export interface ResolveContext {
  readonly stats: RunStats;
  log(message: string): void;
}

/**
 * Expands CLI inputs into source inputs, lazily and in order: files, directories (recursive,
 * sorted, hidden entries skipped), `-` for stdin, and `s3://bucket/prefix` (listed by the S3
 * source). A path that cannot be read is recorded in `stats.errors` and the others still run.
 */
export async function* resolveInputs(
  paths: readonly string[],
  options: ResolvedOptions,
  context: ResolveContext,
): AsyncIterable<SourceInput> {
  let stdinUsed = false;
  for (const path of paths) {
    if (path === '-') {
      if (stdinUsed) {
        context.stats.addError({ source: '-', message: 'standard input given more than once' });
        continue;
      }
      stdinUsed = true;
      yield stdinInput();
      continue;
    }
    if (/^s3:\/\//i.test(path)) {
      const { s3Inputs } = await import('./s3.js');
      try {
        yield* s3Inputs(path, options, context);
      } catch (err) {
        context.stats.addError({ source: path, message: err instanceof Error ? err.message : String(err) });
      }
      continue;
    }
    let st: Stats;
    try {
      st = await stat(path);
    } catch (err) {
      context.stats.addError({ source: path, message: describeFsError(err) });
      continue;
    }
    if (st.isDirectory()) {
      let found = 0;
      try {
        for await (const f of walkDirectory(path)) {
          found++;
          yield fileInput(f.path, f.stats.size);
        }
      } catch (err) {
        context.stats.addError({ source: path, message: describeFsError(err) });
        continue;
      }
      if (found === 0) context.stats.warn(`${path}: directory holds no files`);
    } else if (st.isFile()) {
      yield fileInput(path, st.size);
    } else {
      yield streamFileInput(path); // a FIFO or device, e.g. <(zcat …)
    }
  }
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a path component is not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
