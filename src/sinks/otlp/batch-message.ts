import { type Column, FlowBatch, type LineText, type SourceRef } from '../../batch/flow-batch.js';
import type { FieldDef } from '../../fields/catalog.js';

/** A FlowBatch as plain data for postMessage (typed arrays and string arrays clone cheaply). */
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

export function toMessage(batch: FlowBatch): BatchMessage {
  return {
    fields: batch.fields,
    columns: batch.columns,
    length: batch.length,
    source: batch.source,
    positions: batch.positions,
    ...(batch.recordIds ? { recordIds: batch.recordIds } : {}),
    ...(batch.text ? { text: batch.text } : {}),
    extra: [...batch.extra],
  };
}

export function fromMessage(m: BatchMessage): FlowBatch {
  const batch = new FlowBatch(m.fields, m.columns, m.length, m.source, m.positions, m.recordIds, m.text);
  for (const [name, col] of m.extra) batch.extra.set(name, col);
  return batch;
}
