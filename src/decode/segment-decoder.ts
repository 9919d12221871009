import { RunStats } from '../core/stats.js';
import type { Enricher } from '../core/types.js';
import { parseFormat } from '../fields/format.js';
import { DecodeError } from './errors.js';
import type { DecodedBatch, SegmentJob, SegmentResult } from './segment-protocol.js';
import { TextBatcher } from './text.js';

/**
 * Parses segments of text streams (whole lines from a known line number) with the same
 * TextBatcher as one-thread decoding. One TextBatcher per stream keeps its string caches warm
 * from segment to segment. Runs in a decode thread, or on the main thread for a stream too
 * short to be worth a thread.
 */
export class SegmentDecoder {
  private readonly batchers = new Map<number, TextBatcher>();

  release(stream: number): void {
    this.batchers.get(stream)?.releaseScanner();
    this.batchers.delete(stream);
  }

  /** Parses the segment; `enrichers` (if any) run on its batches. */
  decode(job: Omit<SegmentJob, 'type'>, enrichers?: readonly Enricher[]): SegmentResult {
    const stats = new RunStats();
    const batcher = this.batcherFor(job, stats);
    batcher.useStats(stats);
    batcher.startLine(job.lineBase);
    const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
    let error: SegmentResult['error'];
    try {
      batcher.push(bytes);
      batcher.flush();
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      batcher.abandon();
      error = { message: err.message, ...(err.offset !== undefined ? { offset: err.offset } : {}) };
    }
    const batches: DecodedBatch[] = batcher.take().map((b) => {
      for (const e of enrichers ?? []) e.enrich(b);
      return {
        format: formatKey(b.fields),
        columns: b.columns,
        length: b.length,
        positions: b.positions,
        ...(b.text ? { text: b.text } : {}),
        extra: [...b.extra],
      };
    });
    return {
      type: 'result',
      job: job.job,
      batches,
      counts: {
        records: stats.records,
        nodata: stats.nodata,
        skipdata: stats.skipdata,
        malformed: stats.malformed,
        malformedSamples: stats.malformedSamples,
        warnings: stats.warnings,
      },
      enriched: enrichers !== undefined,
      ...(error ? { error } : {}),
      bytes: job.bytes,
    };
  }

  /** The stream's batcher, set to the field order in force where the segment starts. */
  private batcherFor(job: Omit<SegmentJob, 'type'>, stats: RunStats): TextBatcher {
    let batcher = this.batchers.get(job.stream);
    if (!batcher) {
      batcher = new TextBatcher({
        source: job.source,
        format: parseFormat(job.format, job.formatOrigin),
        formatOrigin: job.formatOrigin,
        batchSize: job.batchSize,
        stats,
        origin: job.origin,
        headers: true,
        keepText: job.keepText,
      });
      this.batchers.set(job.stream, batcher);
    } else if (formatKey(batcher.currentFields) !== job.format) {
      batcher.setFormat(parseFormat(job.format, job.formatOrigin), job.formatOrigin);
    }
    return batcher;
  }
}

/** A field order as one string: names in catalog spelling, space-separated. */
export function formatKey(fields: readonly { readonly name: string }[]): string {
  return fields.map((f) => f.name).join(' ');
}
