import { type Column, FlowBatch } from '../batch/flow-batch.js';
import type { FieldDef } from '../fields/catalog.js';
import type { StoreSettings } from './store.js';

/**
 * A FlowBatch as plain data for postMessage to the store's worker thread (typed arrays are
 * copied by structured clone; the batch stays usable by other sinks). `record_uid` is left
 * out: the store derives it (uid.ts), so its million distinct strings need not travel.
 */
export interface WireBatch {
  readonly fields: readonly FieldDef[];
  readonly columns: readonly Column[];
  readonly length: number;
  readonly source: FlowBatch['source'];
  readonly positions: Float64Array;
  readonly recordIds?: readonly string[];
  readonly extra: ReadonlyArray<readonly [string, Column]>;
}

export function toWire(batch: FlowBatch): WireBatch {
  return {
    fields: batch.fields,
    columns: batch.columns,
    length: batch.length,
    source: batch.source,
    positions: batch.positions,
    ...(batch.recordIds ? { recordIds: batch.recordIds } : {}),
    extra: [...batch.extra].filter(([name]) => name !== 'record_uid'),
  };
}

export function fromWire(w: WireBatch): FlowBatch {
  const batch = new FlowBatch(w.fields, w.columns, w.length, w.source, w.positions, w.recordIds);
  for (const [name, col] of w.extra) batch.extra.set(name, col);
  return batch;
}

export type StoreRequest =
  | { readonly id: number; readonly op: 'open'; readonly path: string; readonly settings: StoreSettings }
  | { readonly id: number; readonly op: 'begin'; readonly sourceId: string }
  | { readonly id: number; readonly op: 'append'; readonly batch: WireBatch }
  | { readonly id: number; readonly op: 'commit'; readonly sourceId: string }
  | { readonly id: number; readonly op: 'abort'; readonly sourceId: string }
  | { readonly id: number; readonly op: 'close' };

export type StoreReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly value?: { staged: number; added: number };
      readonly dedup?: boolean;
    }
  | { readonly id: number; readonly ok: false; readonly error: string; readonly store?: boolean };
