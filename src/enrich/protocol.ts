import type { FlowBatch, StrColumn } from '../batch/flow-batch.js';
import type { Enricher } from '../pipeline/types.js';
import { protocolName } from './protocols.js';

/** The dictionary of every keyword: code = protocol number + 1, so no lookup per row. */
const DICT: readonly string[] = ['', ...Array.from({ length: 256 }, (_, n) => protocolName(n) ?? '')];

/** `protocol` number → `protocol_name` (IANA keyword, lower case). */
export function protocolEnricher(): Enricher {
  return {
    name: 'protocol',
    columns: ['protocol_name'],
    enrich(batch: FlowBatch): void {
      const col = batch.column('protocol');
      const codes = new Uint32Array(batch.length);
      if (col?.kind === 'num') {
        const v = col.values;
        for (let i = 0; i < batch.length; i++) {
          const n = v[i]!;
          // NaN and out-of-range values fail the range test and stay null.
          if (n >= 0 && n <= 255 && (n | 0) === n && DICT[n + 1] !== '') codes[i] = n + 1;
        }
      }
      const out: StrColumn = { kind: 'str', codes, dict: DICT };
      batch.extra.set('protocol_name', out);
    },
  };
}
