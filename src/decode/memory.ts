import { gunzipSync } from 'node:zlib';
import type { FlowBatch, SourceRef } from '../batch/flow-batch.js';
import type { DecodeOptions } from '../core/types.js';
import { damagedPayload } from './damaged-payload.js';
import { DEFAULT_BATCH_SIZE } from './detect.js';
import { DecodeError, MAX_PAYLOAD_BYTES } from './errors.js';
import { firehoseRecordContent } from './firehose-record.js';
import { PayloadDecoder } from './payload.js';
import { firstContentByte, isGzip } from './stream.js';

/** Options of the in-memory decoders (the Lambda handler, the Firehose endpoint). */
export interface PayloadDecodeOptions extends DecodeOptions {
  /**
   * Source of records that do not name their own: a Firehose record's lines
   * (e.g. `firehose:<requestId>`). CloudWatch payloads always become `cwl:<group>/<stream>`.
   * Default `{ id: 'memory' }`.
   */
  readonly source?: SourceRef;
  /** 1-based position of this payload in its event or request (the record index). Default 1. */
  readonly position?: number;
}

/**
 * One CloudWatch Logs subscription payload: the JSON, gzip of it, or base64 of either.
 * DATA_MESSAGE events become records of source `cwl:<group>/<stream>` with the event ids in
 * `recordIds`; a CONTROL_MESSAGE yields nothing and counts in `stats.control`. Bytes that are
 * not such a payload throw a DecodeError; a bad record line is counted in `stats.malformed`.
 */
export async function* decodeCloudWatchPayload(
  data: Uint8Array,
  options: PayloadDecodeOptions,
): AsyncGenerator<FlowBatch> {
  const buf = toBuffer(data);
  options.stats.bytesIn += buf.length;
  const json = isGzip(buf) ? gunzip(buf, options) : buf;
  const at = firstContentByte(json);
  if (at < 0 || (json[at] !== 0x7b && !/^(H4sI|ey)/.test(json.toString('latin1', at, at + 4)))) {
    throw new DecodeError(`${origin(options)}: not a CloudWatch Logs payload (neither JSON nor gzip of it)`);
  }
  const decoder = payloadDecoder(options);
  decoder.bytes(json, options.position ?? 1);
  decoder.end();
  yield* decoder.take();
}

const NEWLINE = Buffer.from('\n');

/**
 * One Firehose record's data (already base64-decoded), as firehoseRecordContent classifies it:
 * a `{"message": "<line>"}` wrapper, one or several bare record lines, or a CloudWatch Logs
 * payload (gzip or plain JSON); a record that is none of them throws a DecodeError.
 * Lines take `options.format` (default v2); positions are `options.position`.
 */
export async function* decodeFirehoseRecord(
  data: Uint8Array,
  options: PayloadDecodeOptions,
): AsyncGenerator<FlowBatch> {
  const content = firehoseRecordContent(data);
  if (content.kind === 'empty') {
    options.stats.bytesIn += data.length;
    return;
  }
  if (content.kind === 'invalid') throw new DecodeError(`${origin(options)}: ${content.error}`);
  if (content.kind === 'payload') {
    yield* decodeCloudWatchPayload(content.bytes, options);
    return;
  }
  options.stats.bytesIn += data.length;
  const decoder = payloadDecoder(options);
  decoder.bytes(Buffer.concat([content.bytes, NEWLINE]), options.position ?? 1);
  decoder.end();
  yield* decoder.take();
}

function payloadDecoder(options: PayloadDecodeOptions): PayloadDecoder {
  const source = options.source ?? { id: 'memory' };
  return new PayloadDecoder({
    stats: options.stats,
    ...(options.format ? { format: options.format } : {}),
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    origin: source.id,
    source,
  });
}

function origin(options: PayloadDecodeOptions): string {
  return options.source?.id ?? 'memory';
}

function gunzip(buf: Buffer, options: PayloadDecodeOptions): Buffer {
  try {
    return gunzipSync(buf, { maxOutputLength: MAX_PAYLOAD_BYTES });
  } catch (err) {
    throw damagedPayload(
      `${origin(options)}: gzip payload cannot be decompressed (${(err as Error).message})`,
      buf,
    );
  }
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
}
