import { createGunzip } from 'node:zlib';
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
 * Decompressed bytes held back before they are handed on. zlib finds damage only when it
 * meets an invalid code or, at a member's end, a wrong CRC: what it inflated just before
 * (the damaged block, or a small member's whole text) may be garbage, so the last
 * GZIP_HOLD_BYTES wait until more follows or the stream ends well. Measured: 8 MiB cost some
 * 10 % of the decode's CPU (the text goes cold in the cache); 2 MiB costs nothing measurable.
 */
export const GZIP_HOLD_BYTES = 2 << 20;

/**
 * Decompresses a gzip stream (several members one after another are one stream). When the
 * compressed bytes are cut off, everything decompressed before the cut has been yielded; when
 * they are damaged, everything but the last `holdBytes` decompressed before the damage has
 * (those are dropped: they may come from the damaged block). Then a DecodeError names the
 * input and the compressed byte offset.
 */
export async function* gunzipStream(
  source: AsyncIterable<Buffer>,
  origin: string,
  holdBytes = GZIP_HOLD_BYTES,
): AsyncGenerator<Buffer> {
  // Large output chunks keep zlib's per-chunk JavaScript work small next to the parsing.
  const z = createGunzip({ chunkSize: 1024 * 1024 });
  // Output is taken as zlib produces it ('data'), not read from the stream's buffer: a stream
  // that fails drops what it buffered, and every byte before the damage must come out. Memory
  // stays bounded: at most two compressed chunks are with zlib, so at most their output waits
  // here.
  const out: Buffer[] = [];
  const held: Buffer[] = [];
  let heldBytes = 0;
  let failure: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const until = async (ready: () => boolean): Promise<void> => {
    while (!ready()) await new Promise<void>((r) => (wake = r));
  };
  z.on('data', (c: Buffer) => {
    out.push(c);
    notify();
  });
  z.on('error', (err) => {
    failure ??= err;
    notify();
  });
  z.on('end', () => {
    ended = true;
    notify();
  });
  let fed = 0;
  let inflating = 0;
  const write = (c: Buffer): void => {
    inflating++;
    z.write(c, () => {
      inflating--;
      notify();
    });
  };
  const input = source[Symbol.asyncIterator]();
  let inputDone = false;
  let readFailed = false;
  let readError: unknown;
  try {
    // Output is handed on as soon as there is some; input is fed while zlib holds fewer than
    // two chunks; otherwise wait for either.
    for (;;) {
      while (out.length > 0) {
        const c = out.shift()!;
        held.push(c);
        heldBytes += c.length;
      }
      if (held.length > 0 && heldBytes - held[0]!.length >= holdBytes) {
        const c = held.shift()!;
        heldBytes -= c.length;
        yield c;
        // zlib inflates a chunk in steps, each started from this thread's event loop: let it
        // start the next one while the consumer works on this output
        await new Promise<void>((r) => setImmediate(r));
        continue;
      }
      if (failure !== undefined || ended || (readFailed && inflating === 0)) break;
      if (!inputDone && inflating < 2) {
        let next: IteratorResult<Buffer>;
        try {
          next = await input.next();
        } catch (err) {
          // The input broke off (a read error): what was inflated from it still comes out first.
          readFailed = true;
          readError = err;
          inputDone = true;
          continue;
        }
        if (next.done) {
          inputDone = true;
          z.end();
        } else {
          fed += next.value.length;
          write(next.value);
        }
        continue;
      }
      await until(
        () =>
          out.length > 0 ||
          failure !== undefined ||
          ended ||
          (readFailed && inflating === 0) ||
          (!inputDone && inflating < 2),
      );
    }
  } finally {
    z.destroy();
    if (!inputDone) await input.return?.();
  }
  const error =
    failure === undefined ? undefined : gzipError(failure, origin, fed, z.bytesWritten, heldBytes);
  // Held text is sound unless zlib found damage: a cut-off stream or a read error loses only what follows.
  if (!(error instanceof DecodeError && error.damaged)) {
    for (const c of held) yield c;
  }
  if (readFailed) throw readError;
  if (error !== undefined) throw error;
}

/** zlib's failure as a DecodeError at the compressed offset of the damage. */
function gzipError(err: unknown, origin: string, fed: number, inflated: number, held: number): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('Z_')) return err;
  // Cut off: the damage is where the input ends. Damaged: where zlib stopped reading.
  if (code === 'Z_BUF_ERROR') {
    return new DecodeError(`${origin}: gzip stream cut off at compressed byte ${fed}`, fed);
  }
  const offset = Math.min(inflated, fed);
  const dropped = held > 0 ? `; the ${held} bytes inflated just before it were not decoded` : '';
  const error = new DecodeError(
    `${origin}: gzip stream damaged (${(err as Error).message}) at compressed byte ${offset}${dropped}`,
    offset,
  );
  error.damaged = true;
  return error;
}
