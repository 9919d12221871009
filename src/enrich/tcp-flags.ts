import type { FlowBatch, ListColumn } from '../batch/flow-batch.js';
import type { Enricher } from '../core/types.js';

/** TCP header flag bits, lowest first. */
export const TCP_FLAG_BITS: readonly (readonly [bit: number, name: string])[] = [
  [1, 'fin'],
  [2, 'syn'],
  [4, 'rst'],
  [8, 'psh'],
  [16, 'ack'],
  [32, 'urg'],
  [64, 'ece'],
  [128, 'cwr'],
];

/**
 * Every bitmask 0–255 decoded once; rows share these frozen arrays, so the enricher allocates
 * nothing per record. Flow logs OR the flags over the aggregation interval, so several flags
 * on one line (19 = fin+syn+ack) are normal, not a malformed packet.
 */
const NAMES: readonly (readonly string[])[] = Array.from({ length: 256 }, (_, mask) =>
  Object.freeze(TCP_FLAG_BITS.filter(([bit]) => (mask & bit) !== 0).map(([, name]) => name)),
);

export function tcpFlagNames(mask: number): readonly string[] | null {
  if (!Number.isInteger(mask) || mask < 0 || mask > 255) return null;
  return NAMES[mask]!;
}

/** `tcp_flags` bitmask → `tcp_flag_names` list (null when the record has no flags field or value). */
export function tcpFlagsEnricher(): Enricher {
  return {
    name: 'tcp-flags',
    columns: ['tcp_flag_names'],
    enrich(batch: FlowBatch): void {
      const col = batch.column('tcp_flags');
      const values: (readonly string[] | null)[] = new Array(batch.length).fill(null);
      if (col?.kind === 'num') {
        const v = col.values;
        for (let i = 0; i < batch.length; i++) {
          const m = v[i]!;
          if (m >= 0 && m <= 255 && (m | 0) === m) values[i] = NAMES[m]!;
        }
      }
      const out: ListColumn = { kind: 'list', values };
      batch.extra.set('tcp_flag_names', out);
    },
  };
}
