import type { SourceRef } from '../batch/flow-batch.js';
import type { SourceInput } from '../core/types.js';

/** An in-memory payload (a Kinesis record, an awslogs event, a Firehose record) as a SourceInput. */
export function payloadInput(bytes: Uint8Array, ref: SourceRef): SourceInput {
  return {
    ref,
    size: bytes.length,
    async *open(offset = 0) {
      if (offset < bytes.length) yield bytes.subarray(offset);
    },
  };
}

/** Strict base64: the alphabet, correct padding, nothing else. */
export function decodeBase64(text: string): Buffer | undefined {
  const s = text.replace(/\s+/g, '');
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}
