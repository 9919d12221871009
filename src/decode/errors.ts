/**
 * An input that cannot be decoded to its end: damaged gzip, an unreadable Parquet file, a
 * header that cannot be used. Every record before the damage has already been yielded; the
 * run loop records the message (and `offset`, when known) in `stats.errors`.
 */
export class DecodeError extends Error {
  override name = 'DecodeError';
  /** True when the input's bytes are damaged (not merely cut off): text just before may be garbage. */
  damaged = false;
  /** Records the failure is known to lose, when it is counted as malformed (1 when unknown). */
  lost = 1;
  constructor(
    message: string,
    /** Byte offset of the damage in the input as stored (compressed bytes for gzip). */
    readonly offset?: number,
  ) {
    super(message);
  }
}

/** Longest record line accepted; longer lines are counted as malformed. */
export const MAX_LINE_BYTES = 64 * 1024;

/** Largest JSON document (CloudWatch payload, Firehose request) read as one piece. */
export const MAX_JSON_BYTES = 80 * 1024 * 1024;

/** Largest decompressed size of one in-memory payload (decompression-bomb guard). */
export const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

/** Bytes of an offending line kept as its malformed sample. */
export const SAMPLE_BYTES = 160;

/** The start of an offending line, printable, for malformed samples. */
export function sampleOf(buf: Buffer, start: number, end: number): string {
  const cut = Math.min(end, start + SAMPLE_BYTES);
  return buf.toString('utf8', start, cut).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd');
}
