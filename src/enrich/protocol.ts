import type { FlowBatch, StrColumn } from '../batch/flow-batch.js';
import type { Enricher } from '../core/types.js';
import { protocolName } from './protocols.js';
import { RowSpread } from './row-spread.js';

/** The dictionary of every keyword: code = protocol number + 1, so no lookup per row. */
const DICT: readonly string[] = ['', ...Array.from({ length: 256 }, (_, n) => protocolName(n) ?? '')];

/** Each protocol number's code: its number + 1, or 0 (null) for a number without a keyword. */
const CODES = Uint32Array.from({ length: 256 }, (_, n) => (DICT[n + 1] !== '' ? n + 1 : 0));

/** `protocol` number → `protocol_name` (IANA keyword, lower case). */
export function protocolEnricher(): Enricher {
  const spreader = new RowSpread();
  return {
    name: 'protocol',
    columns: ['protocol_name'],
    enrich(batch: FlowBatch): void {
      const col = batch.column('protocol');
      // NaN, fractional and out-of-range values stay null
      const codes =
        col?.kind === 'num'
          ? spreader.codesOfNumbers(col.values, CODES, batch.length)
          : new Uint32Array(batch.length);
      const out: StrColumn = { kind: 'str', codes, dict: DICT };
      batch.extra.set('protocol_name', out);
    },
  };
}
