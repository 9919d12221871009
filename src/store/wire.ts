import type { FlowBatch } from '../batch/flow-batch.js';
import { type BatchMessage, toMessage } from '../batch/message.js';
import type { StoreSettings } from './store.js';

/**
 * Batches go to the store's worker without their line bytes and without `record_uid`: the
 * store derives the uid itself (uid.ts), so a million distinct strings need not travel.
 */
export const toWire = (batch: FlowBatch): BatchMessage =>
  toMessage(batch, { withoutText: true, omitExtra: ['record_uid'] });

export type StoreRequest =
  | { readonly id: number; readonly op: 'open'; readonly path: string; readonly settings: StoreSettings }
  | { readonly id: number; readonly op: 'begin'; readonly sourceId: string }
  | { readonly id: number; readonly op: 'append'; readonly batch: BatchMessage }
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
