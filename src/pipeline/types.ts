import type { FlowBatch, SourceRef } from '../batch/flow-batch.js';
import type { ResolvedOptions } from '../config/options.js';
import type { ParsedFormat } from '../fields/format.js';
import type { RunStats } from './stats.js';

/** One input of a run: a file, stdin, an S3 object, an event payload. Opened lazily, streamed. */
export interface SourceInput {
  readonly ref: SourceRef;
  /** Size in bytes when known (for progress). */
  readonly size?: number;
  /** The raw bytes, as stored (compressed or not); `offset` resumes a partial read. */
  open(offset?: number): AsyncIterable<Uint8Array>;
  /** Bytes [start, end) when the input allows random access (files, S3): Parquet reads by range. */
  readRange?(start: number, end: number): Promise<Uint8Array>;
}

export interface DecodeOptions {
  /** Field order for headerless text; a header line in the input wins. Default: the v2 format. */
  readonly format?: ParsedFormat;
  /** Records per FlowBatch. */
  readonly batchSize?: number;
  readonly stats: RunStats;
  /**
   * Keep each text record's original bytes in `batch.text` (default true). Only sinks that send
   * the line itself need them (the OTLP body); the pipeline turns the copy off otherwise.
   */
  readonly keepLineText?: boolean;
  /**
   * Threads that parse long text streams beside the one reading them; 0 parses on the calling
   * thread only. Default: 0 below four cores, 1 with four or five, 2 with more.
   */
  readonly threads?: number;
  /** Most bytes of text handed to a thread at a time (tests use small ones). */
  readonly segmentBytes?: number;
  /**
   * Enrich while decoding: every batch comes out with these enrichers run. Decode threads
   * build their own from `options` and run those named in `onThreads` (the rest run here).
   */
  readonly enrich?: DecodeEnrich;
}

export interface DecodeEnrich {
  readonly enrichers: readonly Enricher[];
  /** The resolved options the enrichers were built from (threads build theirs from them). */
  readonly options: ResolvedOptions;
  /** Names of the enrichers worth running on a decode thread. */
  readonly onThreads: readonly string[];
  /** Database files already in shared memory (path, bytes): threads use them, not a copy. */
  readonly files?: ReadonlyArray<readonly [string, SharedArrayBuffer]>;
}

/** Turns one input's bytes into batches; counts malformed lines and NODATA/SKIPDATA in `stats`. */
export type Decoder = (input: SourceInput, options: DecodeOptions) => AsyncIterable<FlowBatch>;

/** Adds columns to a batch in place. */
export interface Enricher {
  readonly name: string;
  /** Names of the columns it adds. */
  readonly columns: readonly string[];
  enrich(batch: FlowBatch): void;
}

/** What a sink reports when it closes. */
export interface SinkResult {
  /** Records the backend acknowledged (or the file/store holds). */
  readonly delivered: number;
  /** Records the backend refused (partial success, per-item errors); not retried. */
  readonly rejected: number;
  /** Records that could not be delivered (permanent error, retries exhausted). */
  readonly failed: number;
  /** One line per distinct problem, quoting the backend. */
  readonly errors: readonly string[];
  /** Sink-specific figures for the summary (requests, retries, bytes…). */
  readonly details?: Readonly<Record<string, number | string>>;
}

export interface Sink {
  readonly name: string;
  /** True when the sink reads `batch.text` (the original record lines). */
  readonly wantsLineText?: boolean;
  /**
   * Enrichment columns the sink computes itself and never reads from a batch (the store derives
   * `record_uid` from its own uid). An enricher all of whose columns every sink derives is not run.
   */
  readonly derivesColumns?: readonly string[];
  /** Resolves when the batch is accepted into the sink's bounded queue (backpressure). */
  write(batch: FlowBatch): Promise<void>;
  /** Called when one input is done: sinks that commit per input (the store) commit here. */
  endInput?(source: SourceRef): Promise<void>;
  /** Called when one input failed midway: sinks that can, roll back what they took from it. */
  abortInput?(source: SourceRef): Promise<void>;
  /** Flushes, waits for everything in flight, releases resources. */
  close(): Promise<SinkResult>;
}
