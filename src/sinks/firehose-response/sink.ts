import type { FlowBatch, SourceRef } from '../../batch/flow-batch.js';
import type { RunStats } from '../../core/stats.js';
import { type Sink, type SinkCheckpoint, type SinkResult, settledCheckpoint } from '../../core/types.js';
import { JsonBytes } from '../../schema/json/bytes.js';
import type { DocumentSchema } from '../../schema/types.js';

/** What one Firehose record became: its documents as JSON lines, or why it has none. */
export type RecordOutcome =
  | { readonly kind: 'documents'; readonly lines: Buffer }
  | { readonly kind: 'malformed'; readonly message: string }
  | { readonly kind: 'empty' }
  | { readonly kind: 'failed' };

/**
 * The Firehose data-transformation answer as a sink: each input is one Firehose record, and the
 * documents of its batches (in the run's schema) become that record's JSON lines. CloudWatch
 * payloads name their batches after their log stream, so records are told apart by input, not
 * by batch source. Not in the sink registry: the transformation builds it for one invocation.
 */
export class FirehoseResponseSink implements Sink {
  readonly name = 'firehose-response';
  private readonly outcomes = new Map<string, RecordOutcome>();
  private readonly lines = new JsonBytes();
  private count = 0;
  private delivered = 0;
  private malformedBefore: number;
  private samplesBefore: number;

  constructor(
    private readonly schema: DocumentSchema,
    /** The run's counts: a record with no document but malformed lines failed. */
    private readonly stats: RunStats,
  ) {
    this.malformedBefore = stats.malformed;
    this.samplesBefore = stats.malformedSamples.length;
  }

  async write(batch: FlowBatch): Promise<void> {
    const row = this.schema.compile(batch);
    for (let i = 0; i < batch.length; i++) {
      row(this.lines, i);
      this.lines.byte(0x0a);
    }
    this.count += batch.length;
  }

  async endInput(source: SourceRef): Promise<void> {
    const malformed = this.stats.malformed - this.malformedBefore;
    let outcome: RecordOutcome;
    if (this.count > 0) outcome = { kind: 'documents', lines: this.lines.copy() };
    else if (malformed > 0) {
      const sample = this.stats.malformedSamples[this.samplesBefore]?.message ?? 'malformed record';
      outcome = { kind: 'malformed', message: sample };
    } else outcome = { kind: 'empty' };
    this.outcomes.set(source.id, outcome);
    this.delivered += this.count;
    this.reset();
  }

  async abortInput(source: SourceRef): Promise<void> {
    this.outcomes.set(source.id, { kind: 'failed' });
    this.reset();
  }

  /** The outcome of the input `sourceId` (undefined: never read). */
  outcome(sourceId: string): RecordOutcome | undefined {
    return this.outcomes.get(sourceId);
  }

  async checkpoint(): Promise<SinkCheckpoint> {
    return settledCheckpoint(this.result());
  }

  async close(): Promise<SinkResult> {
    return this.result();
  }

  private reset(): void {
    this.lines.reset();
    this.count = 0;
    this.malformedBefore = this.stats.malformed;
    this.samplesBefore = this.stats.malformedSamples.length;
  }

  private result(): SinkResult {
    return { delivered: this.delivered, rejected: 0, failed: 0, errors: [] };
  }
}
