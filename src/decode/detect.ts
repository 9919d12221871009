import type { FlowBatch } from '../batch/flow-batch.js';
import type { DecodeOptions, SourceInput } from '../pipeline/types.js';

/** PLACEHOLDER: replaced by the decode stage. */
export async function* decodeInput(_input: SourceInput, _options: DecodeOptions): AsyncIterable<FlowBatch> {
  throw new Error('decoding is not built yet');
}
