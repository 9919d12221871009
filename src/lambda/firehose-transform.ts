import { RunStats } from '../core/stats.js';
import { decodeFirehoseRecord } from '../decode/index.js';
import { decodeBase64 } from '../decode/payload-input.js';
import { documentSchema, schemaOptionsFrom } from '../schema/index.js';
import type { SchemaName } from '../schema/types.js';
import type { FirehoseTransformRecord } from './events.js';
import type { LambdaRuntime } from './runtime.js';

/** Lambda's synchronous response limit is 6 MB; keep room for the JSON around the records. */
const MAX_RESPONSE_BYTES = 5_900_000;

export interface TransformedRecord {
  readonly recordId: string;
  readonly result: 'Ok' | 'Dropped' | 'ProcessingFailed';
  readonly data: string;
}

/**
 * Firehose data transformation: each record (a `{"message"}` wrapper, bare lines, or a
 * CloudWatch Logs payload) becomes JSON lines in the configured schema (base64); `Dropped`
 * for CloudWatch control messages and empty records; `ProcessingFailed` (the input passed
 * back unchanged) for a record that cannot be decoded.
 */
export async function transformFirehose(
  runtime: LambdaRuntime,
  invocationId: string,
  records: readonly FirehoseTransformRecord[],
  stats: RunStats,
): Promise<TransformedRecord[]> {
  const schema = documentSchema(
    ((runtime.options.schema as string | undefined) ?? 'raw') as SchemaName,
    schemaOptionsFrom(runtime.options),
  );
  const out: TransformedRecord[] = [];
  let responseBytes = 0;
  for (const record of records) {
    const failed = (why: string): TransformedRecord => {
      stats.addError({ source: `firehose:${record.recordId}`, message: why });
      responseBytes += record.data.length + record.recordId.length + 64;
      return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
    };
    const bytes = decodeBase64(record.data);
    if (!bytes) {
      out.push(failed('data is not valid base64'));
      continue;
    }
    const local = new RunStats();
    let lines = '';
    let count = 0;
    try {
      for await (const batch of decodeFirehoseRecord(bytes, {
        ...(runtime.format ? { format: runtime.format } : {}),
        batchSize: runtime.batchSize,
        stats: local,
        // The record id is stable across Firehose's retries; the invocation id is not.
        source: { id: `firehose:${record.recordId}`, context: { firehose_invocation_id: invocationId } },
      })) {
        for (const e of runtime.enrichers) e.enrich(batch);
        for (let i = 0; i < batch.length; i++) lines += JSON.stringify(schema.document(batch, i)) + '\n';
        count += batch.length;
      }
    } catch (err) {
      stats.merge(local);
      out.push(failed((err as Error).message));
      continue;
    }
    stats.merge(local);
    if (count > 0) {
      const data = Buffer.from(lines).toString('base64');
      if (responseBytes + data.length + record.recordId.length + 64 > MAX_RESPONSE_BYTES) {
        // Lambda refuses responses over 6 MB, which would fail every record of the batch.
        out.push(failed("output would exceed Lambda's 6 MB response limit (lower the stream's buffer size)"));
        continue;
      }
      responseBytes += data.length + record.recordId.length + 64;
      out.push({ recordId: record.recordId, result: 'Ok', data });
    } else if (local.malformed > 0) {
      out.push(failed(local.malformedSamples[0]?.message ?? 'malformed record'));
    } else {
      // CloudWatch CONTROL_MESSAGE health checks and payloads without records.
      out.push({ recordId: record.recordId, result: 'Dropped', data: '' });
    }
  }
  return out;
}
