import { optionsOf, type ResolvedOptions } from '../config/options.js';
import type { RunStats } from '../core/stats.js';
import type { Decoder, Enricher, SourceInput } from '../core/types.js';
import { decodeFirehoseRecord } from '../decode/memory.js';
import { decodeBase64, payloadInput } from '../decode/payload-input.js';
import { enriched } from '../decode/pump.js';
import type { ParsedFormat } from '../fields/format.js';
import { documentSchema, schemaOptionsFrom } from '../schema/index.js';
import { FirehoseResponseSink } from '../sinks/firehose-response/sink.js';
import { PIPELINE_OPTIONS } from './options.js';
import { SharedPipeline } from './shared.js';

/** Lambda's synchronous response limit is 6 MB; keep room for the JSON around the records. */
const MAX_RESPONSE_BYTES = 5_900_000;

export interface TransformRecord {
  readonly recordId: string;
  readonly data: string;
}

export interface TransformedRecord {
  readonly recordId: string;
  readonly result: 'Ok' | 'Dropped' | 'ProcessingFailed';
  readonly data: string;
}

export interface TransformSettings {
  readonly options: ResolvedOptions;
  readonly enrichers: readonly Enricher[];
  readonly format: ParsedFormat | undefined;
  readonly batchSize: number;
}

/**
 * Firehose data transformation: each record (a `{"message"}` wrapper, bare lines, or a
 * CloudWatch Logs payload, as firehoseRecordContent classifies it) goes through a pipeline of its own
 * as one input into a FirehoseResponseSink, and becomes JSON lines in the configured schema
 * (base64); `Dropped` for CloudWatch control messages and empty records; `ProcessingFailed`
 * (the input passed back unchanged) for a record that cannot be decoded.
 */
export async function transformFirehose(
  settings: TransformSettings,
  invocationId: string,
  records: readonly TransformRecord[],
  stats: RunStats,
): Promise<TransformedRecord[]> {
  const schema = documentSchema(
    optionsOf(PIPELINE_OPTIONS, settings.options).schema,
    schemaOptionsFrom(settings.options),
  );
  const response = new FirehoseResponseSink(schema, stats);
  const inputs: SourceInput[] = [];
  const notBase64 = new Set<string>();
  for (const r of records) {
    const bytes = decodeBase64(r.data);
    // The record id is stable across Firehose's retries; the invocation id is not.
    const ref = { id: `firehose:${r.recordId}`, context: { firehose_invocation_id: invocationId } };
    if (bytes) inputs.push(payloadInput(bytes, ref));
    else notBase64.add(r.recordId);
  }
  // the response sink belongs to this invocation: a pipeline of one unit around it
  const pipeline = SharedPipeline.of(
    {
      decode: firehoseRecordDecoder,
      decodeOptions: {
        ...(settings.format ? { format: settings.format } : {}),
        batchSize: settings.batchSize,
        enrich: { enrichers: settings.enrichers, options: settings.options, onThreads: [] },
      },
      enrichers: settings.enrichers,
      sinks: [response],
      stats,
    },
    () => undefined,
  );
  await pipeline.deliver({ id: `firehose:${invocationId}`, inputs, stats });
  await pipeline.close();
  const errors = new Map(stats.errors.map((e) => [e.source, e.message]));
  const out: TransformedRecord[] = [];
  let responseBytes = 0;
  for (const record of records) {
    const id = `firehose:${record.recordId}`;
    const failed = (why: string): TransformedRecord => {
      if (!errors.has(id)) stats.addError({ source: id, message: why });
      responseBytes += record.data.length + record.recordId.length + 64;
      return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
    };
    if (notBase64.has(record.recordId)) {
      out.push(failed('data is not valid base64'));
      continue;
    }
    const outcome = response.outcome(id);
    if (!outcome || outcome.kind === 'failed') {
      out.push(failed(errors.get(id) ?? 'the record could not be decoded'));
      continue;
    }
    if (outcome.kind === 'malformed') {
      out.push(failed(outcome.message));
      continue;
    }
    if (outcome.kind === 'empty') {
      // CloudWatch CONTROL_MESSAGE health checks and payloads without records.
      out.push({ recordId: record.recordId, result: 'Dropped', data: '' });
      continue;
    }
    const data = outcome.lines.toString('base64');
    if (responseBytes + data.length + record.recordId.length + 64 > MAX_RESPONSE_BYTES) {
      // Lambda refuses responses over 6 MB, which would fail every record of the batch.
      out.push(failed("output would exceed Lambda's 6 MB response limit (lower the stream's buffer size)"));
      continue;
    }
    responseBytes += data.length + record.recordId.length + 64;
    out.push({ recordId: record.recordId, result: 'Ok', data });
  }
  return out;
}

/** One Firehose record's bytes, decoded as firehoseRecordContent classifies them, and enriched. */
const firehoseRecordDecoder: Decoder = async function* (input, options) {
  const chunks: Uint8Array[] = [];
  for await (const c of input.open()) chunks.push(c);
  yield* enriched(decodeFirehoseRecord(Buffer.concat(chunks), { ...options, source: input.ref }), options);
};
