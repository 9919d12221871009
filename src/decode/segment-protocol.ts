import type { Column, LineText, SourceRef } from '../batch/flow-batch.js';
import type { ResolvedOptions } from '../config/options.js';
import type { StatsPart } from '../core/stats.js';

/**
 * Messages between the main thread and the decode workers. A segment is a run of whole lines
 * of one text stream, starting at a known line number, parsed with the field order in force
 * where it starts (a header inside it still switches the order, as on one thread).
 */
export interface SegmentJob {
  readonly type: 'segment';
  readonly job: number;
  /** The stream the segment belongs to: a worker keeps per-stream string caches. */
  readonly stream: number;
  readonly bytes: Uint8Array;
  /** Line number of the line before the segment's first line. */
  readonly lineBase: number;
  /** Field names in order (catalog spelling), space-separated. */
  readonly format: string;
  /** Where that order came from, for messages ("header on line 1", "--format"). */
  readonly formatOrigin: string;
  readonly source: SourceRef;
  readonly origin: string;
  readonly batchSize: number;
  readonly keepText: boolean;
  /** Enrichers the thread runs on the segment's batches, built from these options. */
  readonly enrich?: ThreadEnrich;
}

export interface ThreadEnrich {
  /** Identifies the options (threads keep the enrichers built for each). */
  readonly key: string;
  readonly options: ResolvedOptions;
}

export interface ReleaseStream {
  readonly type: 'release';
  readonly stream: number;
}

export type ToDecodeWorker = SegmentJob | ReleaseStream;

/** One batch of a segment; its fields are `format`, resolved again on the main thread. */
export interface DecodedBatch {
  readonly format: string;
  readonly columns: readonly Column[];
  readonly length: number;
  readonly positions: Float64Array;
  readonly text?: LineText;
  /** Enrichment columns, in the order they were added. */
  readonly extra: ReadonlyArray<readonly [string, Column]>;
}

export interface SegmentResult {
  readonly type: 'result';
  readonly job: number;
  readonly batches: readonly DecodedBatch[];
  readonly counts: StatsPart;
  /** The batches carry the enrichment of `SegmentJob.enrich`. */
  readonly enriched: boolean;
  /** The segment stopped here (a bad header line): the batches before it are valid. */
  readonly error?: { readonly message: string; readonly offset?: number };
  /** The segment's bytes, handed back so the main thread can reuse the buffer. */
  readonly bytes: Uint8Array;
}

/** ArrayBuffers of a result that can move instead of being copied (pooled ones cannot). */
export function transferables(result: SegmentResult): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (view: ArrayBufferView): void => {
    const buffer = view.buffer;
    // Node's Buffer pool is shared by small allocations: never move it.
    if (buffer instanceof ArrayBuffer && buffer.byteLength > 8192) out.add(buffer);
  };
  for (const b of result.batches) {
    add(b.positions);
    for (const c of [...b.columns, ...b.extra.map(([, col]) => col)]) {
      if (c.kind === 'list') continue;
      if (c.kind === 'num') add(c.values);
      else {
        add(c.codes);
        // what the column carries for later stages moves with it (see StrColumn)
        if (c.keys) add(c.keys.keys);
        if (c.digests) add(c.digests);
        if (c.fixedText) add(c.fixedText.bytes);
      }
      if (c.spread) {
        add(c.spread.rowIds);
        add(c.spread.of);
      }
    }
    if (b.text) {
      add(b.text.bytes);
      add(b.text.starts);
      add(b.text.ends);
    }
  }
  add(result.bytes);
  return [...out];
}
