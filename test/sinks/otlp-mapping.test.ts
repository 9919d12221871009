import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { otelDocumentSchema, otelMapping } from '../../src/schema/otel.js';
import { isoTime } from '../../src/schema/view.js';
import type { OtlpProtocol } from '../../src/sinks/otlp/options.js';
import { createOtlpSink } from '../../src/sinks/otlp/sink.js';
import { OtlpGrpcReceiver } from '../receivers/otlp-grpc.js';
import { OtlpHttpReceiver } from '../receivers/otlp-http.js';
import type { ReceivedRecord } from '../receivers/otlp-proto.js';
import { makeBatch, quietContext, testSettings } from './helpers.js';

/**
 * The schema stage's own OTel mapping, end to end: what the receiver decodes equals the OTel
 * schema's document form of the same record, for every body option and every transport.
 */
const stops: Array<() => Promise<void>> = [];
after(async () => {
  for (const s of stops) await s();
});

function asDocument(r: ReceivedRecord): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  if (r.timeUnixNano !== '0') doc.time = isoTime(Number(BigInt(r.timeUnixNano) / 1_000_000_000n));
  doc.severity_number = r.severityNumber;
  doc.severity_text = r.severityText;
  if (r.body !== null) doc.body = r.body;
  return { ...doc, ...r.resource, ...r.attributes };
}

describe('otlp sink with the otel schema mapping', () => {
  for (const protocol of ['http/protobuf', 'http/json', 'grpc'] as const satisfies readonly OtlpProtocol[]) {
    for (const body of ['line', 'summary', 'none'] as const) {
      it(`${protocol}, body ${body}: records equal the otel document form`, async () => {
        const rx =
          protocol === 'grpc' ? await new OtlpGrpcReceiver().start() : await new OtlpHttpReceiver().start();
        stops.push(() => rx.stop());
        const url = new URL(rx.url);
        if (protocol !== 'grpc') url.pathname = '/v1/logs';
        const mapping = otelMapping({ body });
        const sink = await createOtlpSink(
          { protocol, url, headers: {}, gzip: false, timeoutMs: 5000, tls: {}, resource: new Map() },
          testSettings(),
          mapping,
          quietContext,
        );
        const batch = makeBatch(120, { sourceId: `map-${protocol}-${body}` });
        await sink.write(batch);
        const result = await sink.close();
        assert.equal(result.delivered, 120);
        const schema = otelDocumentSchema({ body });
        // Records arrive grouped by resource: match them up by their uid.
        const byUid = new Map(rx.accepted.map((r) => [r.attributes['log.record.uid'], r]));
        assert.equal(rx.accepted.length, 120);
        assert.equal(byUid.size, 120);
        for (let i = 0; i < batch.length; i++) {
          const expected = schema.document(batch, i);
          const got = byUid.get(batch.str('record_uid', i)!);
          assert.ok(got, `record ${i} missing`);
          assert.deepEqual(asDocument(got), expected);
        }
      });
    }
  }
});
