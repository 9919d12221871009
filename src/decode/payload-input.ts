import type { SourceRef } from '../batch/flow-batch.js';
import type { SourceInput } from '../core/types.js';

/** Bytes a payload is read in: a few batches' worth of lines. */
const PAYLOAD_PIECE = 1 << 20;

/** An in-memory payload (a Kinesis record, an awslogs event, a Firehose record) as a SourceInput. */
export function payloadInput(bytes: Uint8Array, ref: SourceRef): SourceInput {
  return {
    ref,
    size: bytes.length,
    async *open(offset = 0) {
      // In pieces, as a file is read: a decoder turns what it is given into batches before it
      // hands any on, so a whole large payload at once had all its batches alive together.
      for (let at = offset; at < bytes.length; at += PAYLOAD_PIECE)
        yield bytes.subarray(at, at + PAYLOAD_PIECE);
    },
  };
}

/** Strict base64: the alphabet, correct padding, whitespace ignored, nothing else. */
export function decodeBase64(text: string): Buffer | undefined {
  const out = Buffer.allocUnsafe(Math.ceil(text.length / 4) * 3);
  const n = decodeBase64Into(text, out, 0);
  return n < 0 ? undefined : out.subarray(0, n);
}

/**
 * decodeBase64 into `out` from `at` (room for ceil(length / 4) * 3 bytes): the bytes written,
 * or -1 for text that is not strict base64.
 */
export function decodeBase64Into(text: string, out: Buffer, at: number): number {
  // Node's decoder skips or stops at what is not base64, so a clean string is the one that
  // decodes to exactly 3/4 of its length less its padding; only the rest (whitespace, the URL
  // alphabet, damage) is checked character by character. Firehose data is almost always clean:
  // the pattern test cost a quarter of a request's parsing.
  const n = text.length;
  if (n % 4 === 0 && !text.includes('-') && !text.includes('_')) {
    const pad = n === 0 ? 0 : text.charCodeAt(n - 1) !== 61 ? 0 : text.charCodeAt(n - 2) === 61 ? 2 : 1;
    const written = out.write(text, at, 'base64');
    if (written === (n / 4) * 3 - pad) return written;
  }
  const s = text.replace(/\s+/g, '');
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return -1;
  return out.write(s, at, 'base64');
}
