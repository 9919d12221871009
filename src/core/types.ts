import type { EncodedRecords, FlowBatch, SourceRef } from '../batch/flow-batch.js';
import type { ResolvedOptions } from '../config/options.js';
import type { FieldDef } from '../fields/catalog.js';
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
  /**
   * The one sink's line transcoder, when nothing else reads the batches (no enrichers, one
   * sink): text streams are then decoded on this thread and their plain lines go to it.
   */
  readonly lineTranscoder?: () => LineTranscoder | null;
}

/** `LineTranscoder.run` statuses. */
export const TRANSCODE_DONE = 0;
/** The run is as large as a batch may be: take it, then go on. */
export const TRANSCODE_FULL = 1;
/** The line at `stoppedAt` is the decoder's (a possible header, anything unusual or malformed). */
export const TRANSCODE_SLOW = 2;
/** The line at `stoppedAt` has an account or region the run has no room for: take it, then go on. */
export const TRANSCODE_GROUPS_FULL = 3;

/**
 * A sink's way of writing plain record lines straight into its own format while the text is
 * decoded, without columns (the OTLP sink's LogRecords). The text decoder hands it whole lines;
 * a line it stops at is decoded as usual, so what becomes a record, a malformed line or a header
 * does not depend on it. One per input stream.
 */
export interface LineTranscoder {
  /**
   * Takes lines of this field layout from now on (runs of at most `batchSize` records); false
   * when they must be decoded into columns. `headers`: a line may be a header line.
   */
  layout(fields: readonly FieldDef[], headers: boolean, batchSize: number): boolean;
  /**
   * Most bytes of text to hand it at a time: the records of fewer bytes fill at most one
   * batch, so each batch can leave before the memory it points at is written again.
   */
  readonly pieceBytes: number;
  /** Copies the whole lines buf[start, end) in; buf[end - 1] is a newline. */
  load(buf: Buffer, start: number, end: number): void;
  /** Transcodes the loaded lines from `offset`, the first being line lineNo + 1; a TRANSCODE_ status. */
  run(offset: number, lineNo: number): number;
  /** Where the last run stopped (an offset into the loaded lines) and the last line it counted. */
  readonly stoppedAt: number;
  readonly lineNo: number;
  /** The records transcoded since the last take (null: none); then a new run starts. */
  take(): TranscodedRun | null;
  /** The stream is done: the transcoder may serve another. */
  release(): void;
}

/** Records of one field layout, grouped by resource: each resource's records in input order. */
export interface TranscodedRun {
  readonly records: number;
  /** The line number of each record, in the order of `encoded`'s parts. */
  readonly positions: Float64Array;
  readonly encoded: EncodedRecords;
  /**
   * The values each part's records share, by column (`account_id`, `region` when in the
   * layout; null for `-`): a value per part.
   */
  readonly shared: ReadonlyMap<string, readonly (string | null)[]>;
  readonly nodata: number;
  readonly skipdata: number;
}

export interface DecodeEnrich {
  readonly enrichers: readonly Enricher[];
  /** The resolved options the enrichers were built from (threads build theirs from them). */
  readonly options: ResolvedOptions;
  /** Names of the enrichers worth running on a decode thread. */
  readonly onThreads: readonly string[];
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
  /**
   * A line transcoder for one input stream, when the sink can write records straight from text
   * lines (the pipeline uses it only when this sink is the only reader of the batches).
   */
  lineTranscoder?(): LineTranscoder | null;
  /**
   * True when the sink takes one input at a time (from its first batch to its `endInput` or
   * `abortInput`): the store, whose inputs are transactions. A pipeline running several units
   * at once then hands the sink one input's batches at a time.
   */
  readonly oneInputAtATime?: boolean;
  /** Resolves when the batch is accepted into the sink's bounded queue (backpressure). */
  write(batch: FlowBatch): Promise<void>;
  /** Called when one input is done: sinks that commit per input (the store) commit here. */
  endInput?(source: SourceRef): Promise<void>;
  /** Called when one input failed midway: sinks that can, roll back what they took from it. */
  abortInput?(source: SourceRef): Promise<void>;
  /**
   * Sends whatever the sink still buffers and returns a promise of its totals once every record
   * written before the call has been delivered or has failed. Called between writes, never
   * during one; the `settled` promise may be awaited while later writes go on. A long-lived
   * pipeline acknowledges a unit (a Firehose request, an SQS message) only when the totals
   * `settled` resolves with show no new failure.
   */
  checkpoint(): Promise<SinkCheckpoint>;
  /**
   * Asks the backend whether it takes deliveries now, delivering nothing (an empty OTLP export):
   * resolves when it does, rejects with the reason. A long-lived pipeline probes a rebuilt sink
   * after a failure to learn when it can deliver again; a sink without it counts as able once
   * it could be rebuilt.
   */
  probe?(): Promise<void>;
  /** Flushes, waits for everything in flight, releases resources. */
  close(): Promise<SinkResult>;
}

/** What `Sink.checkpoint` returns: the sink's running totals once what came before has settled. */
export interface SinkCheckpoint {
  readonly settled: Promise<SinkResult>;
}

/** A checkpoint already settled: for sinks that deliver within `write` and `endInput`. */
export function settledCheckpoint(result: SinkResult): SinkCheckpoint {
  return { settled: Promise.resolve(result) };
}
