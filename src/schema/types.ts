import type { FlowBatch, NumColumn, StrColumn } from '../batch/flow-batch.js';
import type { RowJson } from './json/compile.js';

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
  /** Row i of the batch as a document in this schema: the reference form, `compile`'s yardstick. */
  document(batch: FlowBatch, i: number): Document;
  /**
   * The sinks' form: the document of any row of this batch written as JSON bytes, exactly
   * `JSON.stringify(document(batch, i))`.
   */
  compile(batch: FlowBatch): RowJson;
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

/**
 * A string attribute read from dictionary columns: the first source whose row is not null
 * gives it. `entry` maps a dictionary value to the attribute (null: write nothing); without
 * it the attribute is `key` = the value. Encoders call it once per code per batch, not per row.
 */
export interface OtelStrSource {
  readonly column: StrColumn;
  readonly key: string;
  entry?(value: string): readonly [key: string, value: string] | null;
}

/** One attribute of the compiled mapping, its columns resolved for one batch. */
export type OtelColumnOp =
  | { readonly kind: 'str'; readonly sources: readonly OtelStrSource[] }
  /** An integer attribute from a number column (NaN rows are left out). */
  | { readonly kind: 'int'; readonly key: string; readonly values: Float64Array }
  | { readonly kind: 'dbl'; readonly key: string; readonly values: Float64Array }
  /**
   * A string attribute from a number column: the `override` column's value when that row is
   * not null, else `text(value)` (null: write nothing). NaN rows are left out. Pure in `value`.
   */
  | {
      readonly kind: 'numText';
      readonly key: string;
      readonly values: Float64Array;
      readonly override?: StrColumn;
      text(value: number): string | null;
    }
  /** A string attribute whose source column depends on the row: `choose(i)` indexes `columns`, -1 for none. */
  | {
      readonly kind: 'pick';
      readonly key: string;
      readonly columns: readonly StrColumn[];
      choose(i: number): number;
    }
  /** A list-of-strings attribute from a list column (null rows are left out); lists repeat by identity. */
  | {
      readonly kind: 'strList';
      readonly key: string;
      readonly values: readonly (readonly string[] | null)[];
    }
  /** Anything else: written through the AttributeWriter for row i. */
  | { readonly kind: 'row'; write(i: number, out: AttributeWriter): void };

/**
 * The OTel mapping compiled for one batch: every column looked up once, so an encoder walks
 * typed arrays and caches encoded bytes per dictionary code. Writes exactly what the
 * OtelMapping visitor writes for each row, in the same order.
 */
export interface OtelPlan {
  /** Record time in Unix seconds: the first of these columns that is not NaN (none: no time). */
  readonly time: readonly Float64Array[];
  /** Severity from a dictionary column (the action); `null` when that column is absent or the row is null. */
  readonly severity: {
    readonly column: StrColumn | undefined;
    number(value: string | null): number;
    text(value: string | null): string;
  };
  /** The body: the record line from these columns (space-separated, `-` for null), text per row, or none. */
  readonly body:
    | { readonly kind: 'line'; readonly columns: readonly (NumColumn | StrColumn)[] }
    | { readonly kind: 'text'; text(i: number): string | null }
    | { readonly kind: 'none' };
  readonly attributes: readonly OtelColumnOp[];
  /** Rows with equal codes in all these columns have equal resource keys; null: ask per row. */
  readonly resourceColumns: readonly StrColumn[] | null;
}

/** A mapping that can compile itself per batch (the schema stage's OTel mapping does). */
export interface OtelPlanner {
  /** The mapping of this batch as column operations, or null when only the visitor applies. */
  plan(batch: FlowBatch): OtelPlan | null;
}

export function hasPlanner<M extends OtelMapping>(m: M): m is M & OtelPlanner {
  return typeof (m as Partial<OtelPlanner>).plan === 'function';
}
