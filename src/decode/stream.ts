import { Readable } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { DecodeError } from './errors.js';

/** Chunks as Buffers (no copy), counting the bytes read. */
export async function* asBuffers(
  chunks: AsyncIterable<Uint8Array>,
  count?: (n: number) => void,
): AsyncGenerator<Buffer> {
  for await (const c of chunks) {
    if (c.length === 0) continue;
    count?.(c.length);
    yield Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.length);
  }
}

export interface Peeked {
  /** The first bytes (at least `min` unless the stream is shorter). */
  readonly head: Buffer;
  /** The whole stream again, from its first byte. */
  readonly stream: AsyncIterable<Buffer>;
}

/** Reads ahead until `enough(head)` holds or the stream ends, without losing a byte. */
export async function peek(
  source: AsyncIterable<Buffer>,
  enough: (head: Buffer) => boolean,
): Promise<Peeked> {
  const it = source[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let head: Buffer = Buffer.alloc(0);
  let done = false;
  while (!enough(head)) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    seen.push(r.value);
    head = seen.length === 1 ? r.value : Buffer.concat(seen);
  }
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      yield* seen;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      if (!done) await it.return?.();
    }
  }
  return { head, stream: replay() };
}

export const hasBytes =
  (n: number) =>
  (head: Buffer): boolean =>
    head.length >= n;

/** True once the head holds a non-whitespace byte (or 64 KiB of whitespace). */
export function hasContent(head: Buffer): boolean {
  return firstContentByte(head) >= 0 || head.length >= 65536;
}

/** Index of the first byte that is not whitespace, or -1. */
export function firstContentByte(buf: Buffer): number {
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
  }
  return -1;
}

export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

export function isParquet(head: Buffer): boolean {
  return head.length >= 4 && head.toString('latin1', 0, 4) === 'PAR1';
}

/**
 * Decompresses a gzip stream (several members one after another are one stream). When the
 * compressed bytes are damaged or cut off, everything decompressed before the damage has been
 * yielded; then a DecodeError names the input and the compressed byte offset.
 */
export async function* gunzipStream(source: AsyncIterable<Buffer>, origin: string): AsyncGenerator<Buffer> {
  // Large output chunks keep zlib's per-chunk JavaScript work small next to the parsing; a
  // read-ahead of two chunks lets zlib (on the thread pool) inflate while the main thread parses.
  const zlibOptions: ZlibOptions & { readableHighWaterMark: number } = {
    chunkSize: 1024 * 1024,
    readableHighWaterMark: 2 * 1024 * 1024,
  };
  const z = createGunzip(zlibOptions);
  let fed = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const c of source) {
      fed += c.length;
      yield c;
    }
  }
  const input = Readable.from(counted(), { objectMode: false, highWaterMark: 1 });
  let readError: unknown;
  input.on('error', (err) => {
    readError = err;
    z.destroy(err);
  });
  input.pipe(z);
  try {
    for await (const out of z) yield out as Buffer;
  } catch (err) {
    if (readError !== undefined) throw readError;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      // Cut off: the damage is where the input ends. Damaged: where zlib stopped reading.
      const cut = code === 'Z_BUF_ERROR';
      const offset = cut ? fed : Math.min(z.bytesWritten, fed);
      const why = cut ? 'cut off' : `damaged (${(err as Error).message})`;
      throw new DecodeError(`${origin}: gzip stream ${why} at compressed byte ${offset}`, offset);
    }
    throw err;
  } finally {
    input.destroy();
    z.destroy();
  }
}
