import { createReadStream, type Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceInput } from '../core/types.js';

/** Read size of local files: large reads keep zlib and the parser busy with few callbacks. */
export const READ_CHUNK = 1024 * 1024;

/** A local file: streamed from `offset`, and readable by range (Parquet). */
export function fileInput(path: string, size?: number): SourceInput {
  return {
    ref: { id: path },
    ...(size !== undefined ? { size } : {}),
    open: (offset = 0) => createReadStream(path, { start: offset, highWaterMark: READ_CHUNK }),
    async readRange(start: number, end: number): Promise<Uint8Array> {
      const fh = await open(path, 'r');
      try {
        const out = Buffer.allocUnsafe(end - start);
        let got = 0;
        while (got < out.length) {
          const { bytesRead } = await fh.read(out, got, out.length - got, start + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return out.subarray(0, got);
      } finally {
        await fh.close();
      }
    },
  };
}

/** A pipe, FIFO or device: streamed once, no random access (Parquet goes via a temp file). */
export function streamFileInput(path: string): SourceInput {
  return {
    ref: { id: path },
    open: () => createReadStream(path, { highWaterMark: READ_CHUNK }),
  };
}

/** Standard input, named `-`. It can be read once. */
export function stdinInput(): SourceInput {
  let opened = false;
  return {
    ref: { id: '-' },
    open: () => {
      if (opened) throw new Error('-: standard input can be read only once');
      opened = true;
      return process.stdin;
    },
  };
}

/** Regular files under a directory, recursively, in name order, skipping hidden entries. */
export async function* walkDirectory(dir: string): AsyncGenerator<{ path: string; stats: Stats }> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  for (const name of names) {
    const path = join(dir, name);
    let st: Stats;
    try {
      st = await stat(path);
    } catch {
      continue; // a dangling link inside a directory is not an input
    }
    if (st.isDirectory()) yield* walkDirectory(path);
    else if (st.isFile()) yield { path, stats: st };
  }
}
