/** The decode stage: every delivery shape AWS uses, to FlowBatches. */
export { DEFAULT_BATCH_SIZE, decodeInput } from './detect.js';
export { DecodeError, MAX_LINE_BYTES } from './errors.js';
export { decodeCloudWatchPayload, decodeFirehoseRecord, type PayloadDecodeOptions } from './memory.js';
