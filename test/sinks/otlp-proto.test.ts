import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { decodeJsonRequest, decodeProtoRequest, type ReceivedRecord } from '../receivers/otlp-proto.js';

/**
 * The receivers decode with protocol definitions written into the tests. This checks those
 * definitions against the official OpenTelemetry JS serializers: what the SDK encodes, the
 * receivers read back field for field (protobuf and JSON).
 */
async function sdkRecords() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('flowlens-test', '9.9.9');
  logger.emit({
    timestamp: new Date(1_700_000_060_000),
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    body: '2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1700000000 1700000060 REJECT OK',
    attributes: {
      'source.address': '10.0.0.1',
      'source.port': 443,
      'aws.vpc.flow.bytes': 5_000_000_000,
      ratio: 0.5,
      rejected: true,
      tags: ['a', 'ü'],
    },
  });
  await provider.forceFlush();
  return exporter.getFinishedLogRecords();
}

function check(r: ReceivedRecord): void {
  assert.equal(r.timeUnixNano, '1700000060000000000');
  assert.equal(r.severityNumber, 13);
  assert.equal(r.severityText, 'WARN');
  assert.match(String(r.body), /^2 123456789012 eni-1/);
  assert.deepEqual(r.scope, { name: 'flowlens-test', version: '9.9.9' });
  assert.deepEqual(r.attributes, {
    'source.address': '10.0.0.1',
    'source.port': 443,
    'aws.vpc.flow.bytes': 5_000_000_000,
    ratio: 0.5,
    rejected: true,
    tags: ['a', 'ü'],
  });
  assert.equal(typeof r.resource['service.name'], 'string');
}

describe('receiver protocol definitions match the official OpenTelemetry serializers', () => {
  it('protobuf', async () => {
    const body = ProtobufLogsSerializer.serializeRequest(await sdkRecords())!;
    const { records } = decodeProtoRequest(body);
    assert.equal(records.length, 1);
    check(records[0]!);
  });

  it('JSON', async () => {
    const body = JsonLogsSerializer.serializeRequest(await sdkRecords())!;
    const { records } = decodeJsonRequest(new TextDecoder().decode(body), false);
    assert.equal(records.length, 1);
    check(records[0]!);
  });
});
