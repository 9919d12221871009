import type { FlowBatch } from '../batch/flow-batch.js';
import { type BatchMessage, toMessage } from '../batch/message.js';
import type { EncodedBatch } from './encode.js';
import type { StoreSettings } from './store.js';

/**
 * An input the store holds nothing of (the usual case) goes to the store's worker as encoded
 * batches (encode.ts): typed arrays only, transferred, not copied, so no string is serialized
 * on this thread or rebuilt on the worker. A re-ingest goes as batches (the worker stages and
 * de-duplicates them), without their line bytes and without `record_uid`: the store derives
 * the uid itself (uid.ts), so a million distinct strings need not travel.
 */
export const toWire = (batch: FlowBatch): BatchMessage =>
  toMessage(batch, { withoutText: true, omitExtra: ['record_uid'] });

export type StoreRequest =
  | { readonly id: number; readonly op: 'open'; readonly path: string; readonly settings: StoreSettings }
  | { readonly id: number; readonly op: 'begin'; readonly sourceId: string }
  | { readonly id: number; readonly op: 'append'; readonly batch: BatchMessage }
  | { readonly id: number; readonly op: 'appendEncoded'; readonly batch: EncodedBatch }
  | { readonly id: number; readonly op: 'commit'; readonly sourceId: string }
  | { readonly id: number; readonly op: 'abort'; readonly sourceId: string }
  | {
      readonly id: number;
      readonly op: 'query';
      readonly sql: string;
      readonly params: readonly QueryParam[];
    }
  | { readonly id: number; readonly op: 'syncRollups' }
  | { readonly id: number; readonly op: 'close' };

/** A value bound to a `?` of a reader's query. */
export type QueryParam = string | number | boolean | null;

/** One row of a reader's query: integers as numbers, times as Unix seconds (store/plain-rows.ts). */
export type QueryRow = Record<string, unknown>;

export type StoreReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly value?: { staged: number; added: number };
      readonly dedup?: boolean;
      readonly rows?: readonly QueryRow[];
      /** Records a rollup sync added. */
      readonly synced?: number;
    }
  | { readonly id: number; readonly ok: false; readonly error: string; readonly store?: boolean };
