import type { FlowBatch } from '../batch/flow-batch.js';

export type SchemaName = 'raw' | 'otel' | 'ecs' | 'ocsf';
export const SCHEMA_NAMES: readonly SchemaName[] = ['raw', 'otel', 'ecs', 'ocsf'];

/** A JSON document for one record (NDJSON, HTTP JSON, Elasticsearch). */
export type Document = Record<string, unknown>;

/** Options every schema understands; each ignores what does not apply to it. */
export interface SchemaOptions {
  /** OTel: which flow time becomes the record time. */
  readonly timeField?: 'end' | 'start';
  /** OTel: the log body. */
  readonly body?: 'line' | 'summary' | 'none';
}

export interface DocumentSchema {
  readonly name: SchemaName;
  /** Row i of the batch as a document in this schema. */
  document(batch: FlowBatch, i: number): Document;
}

/**
 * Receives the attributes of one OTel record or resource. The OTLP protobuf and JSON encoders
 * implement it to write straight into their buffers, so mapping costs no per-record objects.
 */
export interface AttributeWriter {
  str(key: string, value: string): void;
  int(key: string, value: number): void;
  dbl(key: string, value: number): void;
  bool(key: string, value: boolean): void;
  strArray(key: string, values: readonly string[]): void;
}

/** The OpenTelemetry log-record mapping, in the form the OTLP encoders consume. */
export interface OtelMapping {
  /** Records with equal keys share one ResourceLogs (account and region). */
  resourceKey(batch: FlowBatch, i: number): string;
  /** Resource attributes of row i (cloud.provider, cloud.account.id, cloud.region, …). */
  resource(batch: FlowBatch, i: number, out: AttributeWriter): void;
  /** Record time in Unix nanoseconds as a bigint-safe pair: seconds (the ns are seconds × 1e9). */
  timeSeconds(batch: FlowBatch, i: number): number | null;
  severityNumber(batch: FlowBatch, i: number): number;
  severityText(batch: FlowBatch, i: number): string;
  /** The body string, or null for none. */
  body(batch: FlowBatch, i: number): string | null;
  attributes(batch: FlowBatch, i: number, out: AttributeWriter): void;
}
