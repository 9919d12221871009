import type { BatchMessage } from '../../batch/message.js';
import type { SinkResult } from '../../core/types.js';
import type { DeliverySettings } from '../../delivery/options.js';
import type { SchemaOptions } from '../../schema/types.js';
import type { OtlpConfig } from './config.js';

/** OtlpConfig as structured-clone data (URL and Buffer do not cross threads as such). */
export interface WorkerSetup {
  readonly config: Omit<OtlpConfig, 'url' | 'tls' | 'resource'> & {
    readonly url: string;
    readonly tls: { ca?: Uint8Array; cert?: Uint8Array; key?: Uint8Array };
    readonly resource: ReadonlyArray<readonly [string, string]>;
  };
  readonly settings: DeliverySettings;
  readonly schema: SchemaOptions;
}

export type ToWorker =
  | { readonly type: 'batch'; readonly batch: BatchMessage }
  | { readonly type: 'flush' }
  | { readonly type: 'checkpoint'; readonly id: number }
  | { readonly type: 'close' };

export type FromWorker =
  /** The batch went into the worker's sink (its in-flight queue had room). */
  | { readonly type: 'ack' }
  /** The sink failed for good: later batches are refused. */
  | { readonly type: 'fatal'; readonly message: string }
  | { readonly type: 'warn'; readonly message: string }
  | { readonly type: 'result'; readonly result: SinkResult }
  /** Totals once everything sent before checkpoint `id` has settled. */
  | { readonly type: 'checkpoint'; readonly id: number; readonly result: SinkResult };
