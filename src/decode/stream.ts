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
  /** Ends the source without reading on (the stream was not, or not fully, read). */
  close(): Promise<void>;
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
  return replayed(head, seen, it, done);
}

/** The Peeked of a stream read ahead: `prefix` (what was read), then the rest of `it`. */
function replayed(head: Buffer, prefix: Iterable<Buffer>, it: AsyncIterator<Buffer>, done: boolean): Peeked {
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      yield* prefix;
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
  const close = async (): Promise<void> => {
    if (!done) await it.return?.();
  };
  return { head, stream: replay(), close };
}

export const hasBytes =
  (n: number) =>
  (head: Buffer): boolean =>
    head.length >= n;

/** A UTF-8 byte-order mark, which some editors and exporters write before the first line. */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The stream without a byte-order mark at its start. */
export async function* withoutBom(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let start: Buffer | null = Buffer.alloc(0);
  for await (const chunk of source) {
    if (start === null) {
      yield chunk;
      continue;
    }
    start = start.length === 0 ? chunk : Buffer.concat([start, chunk]);
    const n = Math.min(start.length, BOM.length);
    if (start.subarray(0, n).equals(BOM.subarray(0, n))) {
      if (n < BOM.length) continue; // too short to tell yet
      start = start.subarray(BOM.length);
    }
    if (start.length > 0) yield start;
    start = null;
  }
  if (start !== null && start.length > 0) yield start;
}

/** Bytes after the first content byte that the head holds, when the stream has them (enough to tell a base64 payload). */
const CONTENT_HEAD = 8;
/** One chunk of newlines, shared: leading whitespace is replayed from it. */
const NEWLINES = Buffer.alloc(65536, 10);

/**
 * Reads past leading whitespace, however much, to the first content byte, without holding the
 * whitespace: the head starts with the chunk holding that byte (and at least `CONTENT_HEAD`
 * bytes after it when the stream has them). The stream replays the whitespace as its newlines
 * only (so line numbers stay those of the input; blank lines decode to nothing either way),
 * then every byte from the head on. The head is empty when the stream is only whitespace.
 */
export async function peekContent(source: AsyncIterable<Buffer>): Promise<Peeked> {
  const it = source[Symbol.asyncIterator]();
  let newlines = 0;
  const seen: Buffer[] = [];
  let at = -1;
  let done = false;
  let held = 0;
  while (at < 0 || held - at < CONTENT_HEAD) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const chunk = r.value;
    if (at < 0) {
      const first = firstContentByte(chunk);
      if (first < 0) {
        newlines += countNewlines(chunk);
        continue;
      }
      at = first;
    }
    seen.push(chunk);
    held += chunk.length;
  }
  const head = seen.length === 1 ? seen[0]! : Buffer.concat(seen);
  function* prefix(): Generator<Buffer> {
    for (let left = newlines; left > 0; left -= NEWLINES.length)
      yield NEWLINES.subarray(0, Math.min(left, NEWLINES.length));
    yield* seen;
  }
  return replayed(head, prefix(), it, done);
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
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
 * Compressed bytes per zlib write, and inflated bytes waiting here past which no more is
 * written: a written piece is inflated to its end, so a piece of a bomb (deflate reaches about
 * 1:1000) stays near 32 MiB, where a 1 MiB read chunk would inflate to a GiB.
 */
const FEED_BYTES = 32 * 1024;
const MAX_QUEUED = 16 * 1024 * 1024;

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
  // stays bounded: at most two small pieces are with zlib, and none is written while much of
  // its output waits here.
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
    queued += c.length;
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
  /** Inflated bytes not yet handed on (in `out` or `held`). */
  let queued = 0;
  /** Compressed bytes read but not yet given to zlib. */
  let pending: Buffer | null = null;
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
        queued -= c.length;
        yield c;
        // zlib inflates a chunk in steps, each started from this thread's event loop: let it
        // start the next one while the consumer works on this output
        await new Promise<void>((r) => setImmediate(r));
        continue;
      }
      if (failure !== undefined || ended || (readFailed && inflating === 0)) break;
      if (pending && inflating < 2 && queued < MAX_QUEUED) {
        // a small piece at a time: zlib inflates a written piece to its end, whatever it holds
        const piece: Buffer = pending.subarray(0, FEED_BYTES);
        pending = pending.length > FEED_BYTES ? pending.subarray(FEED_BYTES) : null;
        fed += piece.length;
        write(piece);
        continue;
      }
      if (!pending && !inputDone && inflating < 2) {
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
        } else pending = next.value;
        continue;
      }
      await until(
        () =>
          out.length > 0 ||
          failure !== undefined ||
          ended ||
          (readFailed && inflating === 0) ||
          (inflating < 2 && (pending ? queued < MAX_QUEUED : !inputDone)),
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
