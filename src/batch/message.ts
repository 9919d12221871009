import type { FieldDef } from '../fields/catalog.js';
import { type Column, FlowBatch, type LineText, type SourceRef } from './flow-batch.js';

/**
 * A FlowBatch as plain data for postMessage to a worker thread (typed arrays and string arrays
 * clone cheaply; the batch stays usable by other sinks).
 */
export interface BatchMessage {
  readonly fields: readonly FieldDef[];
  readonly columns: readonly Column[];
  readonly length: number;
  readonly source: SourceRef;
  readonly positions: Float64Array;
  readonly recordIds?: readonly string[];
  readonly text?: LineText;
  readonly extra: ReadonlyArray<readonly [string, Column]>;
}

export interface MessageOptions {
  /** Leave out the original line bytes (the receiver does not read them). */
  readonly withoutText?: boolean;
  /** Enrichment columns the receiver derives itself, so they need not travel. */
  readonly omitExtra?: readonly string[];
}

export function toMessage(batch: FlowBatch, options: MessageOptions = {}): BatchMessage {
  const omit = options.omitExtra;
  return {
    fields: batch.fields,
    columns: batch.columns,
    length: batch.length,
    source: batch.source,
    positions: batch.positions,
    ...(batch.recordIds ? { recordIds: batch.recordIds } : {}),
    ...(batch.text && !options.withoutText ? { text: batch.text } : {}),
    extra: omit ? [...batch.extra].filter(([name]) => !omit.includes(name)) : [...batch.extra],
  };
}

export function fromMessage(m: BatchMessage): FlowBatch {
  const batch = new FlowBatch(m.fields, m.columns, m.length, m.source, m.positions, m.recordIds, m.text);
  for (const [name, col] of m.extra) batch.extra.set(name, col);
  return batch;
}
