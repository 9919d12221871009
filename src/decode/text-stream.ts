import { FlowBatch } from '../batch/flow-batch.js';
import type { DecodeEnrich, DecodeOptions, Enricher, LineTranscoder, SourceInput } from '../core/types.js';
import type { FieldDef } from '../fields/catalog.js';
import { DEFAULT_FORMAT, DEFAULT_FORMAT_ORIGIN, parseFormat } from '../fields/format.js';
import { type DecodePool, decodePool, defaultDecodeThreads } from './decode-pool.js';
import { DecodeError, MAX_LINE_BYTES } from './errors.js';
import { enriched, pump } from './pump.js';
import { formatKey, SegmentDecoder } from './segment-decoder.js';
import type { SegmentJob, SegmentResult, ThreadEnrich } from './segment-protocol.js';
import { LineSegmenter, type OverlongLine, type Piece } from './segments.js';
import { TextBatcher } from './text.js';

export const DEFAULT_BATCH_SIZE = 8192;
/** Most bytes of text per segment (a segment is a batch of lines, unless lines are long). */
export const SEGMENT_BYTES = 4 << 20;
/** Segments queued per decode thread beyond the one it works on. */
const QUEUED_PER_THREAD = 1;
/** Jobs on every thread at which this thread parses the next segment itself. */
const BUSY_JOBS = 2;

/**
 * Text records (S3 objects, plain files, stdin), a header line setting the field order. The
 * stream is cut into segments of a batch of whole lines each; a decode thread parses one while
 * this thread reads on and, when the threads are busy, parses the next itself. Batches come
 * out in input order. A stream of one segment (most events and small objects) is parsed
 * here, without threads.
 */
export async function* decodeTextStream(
  input: SourceInput,
  stream: AsyncIterable<Buffer>,
  options: DecodeOptions,
): AsyncGenerator<FlowBatch> {
  // A sink's line transcoder reads the lines here: the one pass it makes costs less than
  // handing segments to threads.
  const transcoder = options.lineTranscoder?.() ?? null;
  const threads = transcoder ? 0 : (options.threads ?? defaultDecodeThreads());
  if (threads <= 0) {
    try {
      yield* enriched(decodeTextHere(input, stream, options, transcoder), options);
    } finally {
      transcoder?.release();
    }
    return;
  }
  const stats = options.stats;
  const format = options.format ?? DEFAULT_FORMAT;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const segmenter = new LineSegmenter({
    lines: batchSize,
    maxBytes: options.segmentBytes ?? SEGMENT_BYTES,
    format,
    formatOrigin: options.format ? '--format' : DEFAULT_FORMAT_ORIGIN,
    origin: input.ref.id,
  });
  const local = new SegmentDecoder();
  const enrich = threadEnrich(options.enrich);
  let pool: DecodePool | null = null;
  let streamId = 0;
  const fields = new Map<string, readonly FieldDef[]>();
  /** Results in input order: settled values, or jobs on a thread. */
  const queue: Array<SegmentResult | Promise<SegmentResult>> = [];

  const job = (piece: Piece): Omit<SegmentJob, 'type' | 'job'> | SegmentResult => {
    if (piece.kind === 'overlong') return overlongResult(input.ref.id, piece);
    return {
      stream: streamId,
      bytes: piece.bytes,
      lineBase: piece.lineBase,
      format: formatKey(piece.format.fields),
      formatOrigin: piece.formatOrigin,
      source: input.ref,
      origin: input.ref.id,
      batchSize,
      keepText: options.keepLineText !== false,
      ...(enrich ? { enrich: enrich.spec } : {}),
    };
  };
  /** More pieces follow this one (`more`): worth a thread, when there are threads. */
  const dispatch = (pieces: Piece[], more: boolean): void => {
    for (const piece of pieces) {
      const j = job(piece);
      if ('type' in j) {
        queue.push(j);
        continue;
      }
      if (more && !pool) pool = decodePool(threads);
      if (pool && streamId === 0) streamId = pool.openStream();
      // With every thread busy, this thread parses the segment itself rather than wait.
      if (!pool || pool.busy(BUSY_JOBS)) {
        queue.push(local.decode({ ...j, stream: 0, job: 0 }));
        continue;
      }
      const running = pool.run({ ...j, stream: streamId });
      running.catch(() => undefined); // awaited in order below; this only marks it handled
      queue.push(running);
    }
  };
  const results = function* (result: SegmentResult): Generator<FlowBatch> {
    segmenter.recycle(result.bytes);
    stats.merge(result.counts);
    for (const b of result.batches) {
      let f = fields.get(b.format);
      if (!f) {
        f = parseFormat(b.format).fields;
        fields.set(b.format, f);
      }
      const text = b.text && {
        bytes: Buffer.from(b.text.bytes.buffer, b.text.bytes.byteOffset, b.text.bytes.byteLength),
        starts: b.text.starts,
        ends: b.text.ends,
      };
      const batch = new FlowBatch(f, b.columns, b.length, input.ref, b.positions, undefined, text);
      for (const [name, col] of b.extra) batch.extra.set(name, col);
      if (options.enrich) {
        for (const e of result.enriched ? enrich!.here : options.enrich.enrichers) e.enrich(batch);
      }
      yield batch;
    }
    if (result.error) throw new DecodeError(result.error.message, result.error.offset);
  };
  const limit = threads * (QUEUED_PER_THREAD + 1);

  try {
    try {
      for await (const chunk of stream) {
        dispatch(segmenter.push(chunk), true);
        while (queue.length >= limit) yield* results(await queue.shift()!);
      }
      dispatch(segmenter.end(), false);
    } catch (err) {
      // Read error: the whole lines before the damage still come out, then the error.
      dispatch(segmenter.abandon(), false);
      while (queue.length > 0) yield* results(await queue.shift()!);
      throw err;
    }
    while (queue.length > 0) yield* results(await queue.shift()!);
  } finally {
    if (pool && streamId !== 0) (pool as DecodePool).releaseStream(streamId);
  }
}

/** The one-thread path: the stream's chunks straight into one TextBatcher. */
async function* decodeTextHere(
  input: SourceInput,
  stream: AsyncIterable<Buffer>,
  options: DecodeOptions,
  transcoder: LineTranscoder | null,
): AsyncGenerator<FlowBatch> {
  const batcher = new TextBatcher({
    source: input.ref,
    ...(options.format ? { format: options.format } : {}),
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    stats: options.stats,
    origin: input.ref.id,
    headers: true,
    keepText: options.keepLineText !== false,
    ...(transcoder ? { transcoder } : {}),
  });
  // With a transcoder, a batch points into its memory until the sink has read it: small
  // pieces of text let each batch out before the memory it points at is written again.
  yield* pump(transcoder ? slices(stream, transcoder.pieceBytes) : stream, batcher, {
    feed: (chunk) => batcher.push(chunk),
    finish: () => batcher.end(),
    abandon: () => batcher.abandon(),
  });
}

/** The stream's chunks cut into pieces of at most `size` bytes (views, not copies). */
async function* slices(stream: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  for await (const chunk of stream) {
    for (let at = 0; at < chunk.length; at += size) yield chunk.subarray(at, at + size);
  }
}

/** A skipped overlong line, as a result in the queue so that counts keep the input order. */
function overlongResult(origin: string, piece: OverlongLine): SegmentResult {
  const problem = {
    source: origin,
    line: piece.line,
    message: `line longer than ${MAX_LINE_BYTES} bytes`,
    sample: piece.sample,
  };
  return {
    type: 'result',
    job: 0,
    batches: [],
    counts: { records: 0, nodata: 0, skipdata: 0, malformed: 1, malformedSamples: [problem], warnings: [] },
    enriched: false,
    bytes: new Uint8Array(0),
  };
}

/** The part of the enrichment a decode thread does: its options, and what stays here. */
function threadEnrich(
  enrich: DecodeEnrich | undefined,
): { spec: ThreadEnrich; here: readonly Enricher[] } | undefined {
  if (!enrich) return undefined;
  const onThreads = enrich.enrichers.filter((e) => enrich.onThreads.includes(e.name)).map((e) => e.name);
  if (onThreads.length === 0) return undefined;
  const options = { ...enrich.options, enrich: onThreads, 'disable-enrich': [] };
  return {
    spec: { key: JSON.stringify(options), options },
    here: enrich.enrichers.filter((e) => !onThreads.includes(e.name)),
  };
}
