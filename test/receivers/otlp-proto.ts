import protobuf from 'protobufjs';

/**
 * The OTLP logs messages as the OpenTelemetry protocol definitions declare them
 * (opentelemetry-proto: collector/logs/v1, logs/v1, common/v1, resource/v1; google.rpc.Status),
 * field for field, parsed by protobufjs: an independent decoder for the receivers, checked
 * against the official SDK's serializer in otlp-proto.test.ts.
 */
const PROTO = `
syntax = "proto3";
package opentelemetry.proto;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}
message Resource {
  repeated KeyValue attributes = 1;
  uint32 dropped_attributes_count = 2;
}
message ResourceLogs {
  Resource resource = 1;
  repeated ScopeLogs scope_logs = 2;
  string schema_url = 3;
}
message ScopeLogs {
  InstrumentationScope scope = 1;
  repeated LogRecord log_records = 2;
  string schema_url = 3;
}
message LogRecord {
  fixed64 time_unix_nano = 1;
  fixed64 observed_time_unix_nano = 11;
  int32 severity_number = 2;
  string severity_text = 3;
  AnyValue body = 5;
  repeated KeyValue attributes = 6;
  uint32 dropped_attributes_count = 7;
  fixed32 flags = 8;
  bytes trace_id = 9;
  bytes span_id = 10;
  string event_name = 12;
}
message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
message ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1; }
message ExportLogsPartialSuccess {
  int64 rejected_log_records = 1;
  string error_message = 2;
}
message Any { string type_url = 1; bytes value = 2; }
message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
message Duration { int64 seconds = 1; int32 nanos = 2; }
message RetryInfo { Duration retry_delay = 1; }
`;

const root = protobuf.parse(PROTO, { keepCase: false }).root;
export const ExportLogsServiceRequest = root.lookupType('opentelemetry.proto.ExportLogsServiceRequest');
export const ExportLogsServiceResponse = root.lookupType('opentelemetry.proto.ExportLogsServiceResponse');
export const RpcStatus = root.lookupType('opentelemetry.proto.Status');
export const RetryInfo = root.lookupType('opentelemetry.proto.RetryInfo');

/** A decoded value of an attribute: strings, numbers (int64 as number), booleans, arrays. */
export type Value = string | number | boolean | null | Value[] | { [k: string]: Value };

export interface ReceivedRecord {
  readonly resource: Record<string, Value>;
  readonly scope: { name: string; version: string };
  readonly timeUnixNano: string;
  readonly observedTimeUnixNano: string;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: Value;
  readonly attributes: Record<string, Value>;
}

interface AnyValueObject {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValueObject[] };
  kvlistValue?: { values?: KeyValueObject[] };
  bytesValue?: string;
}
interface KeyValueObject {
  key: string;
  value?: AnyValueObject;
}

export function anyValue(v: AnyValueObject | undefined): Value {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(anyValue);
  if (v.kvlistValue) return keyValues(v.kvlistValue.values);
  if (v.bytesValue !== undefined) return v.bytesValue;
  return null;
}

export function keyValues(list: KeyValueObject[] | undefined): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const kv of list ?? []) {
    if (kv.key in out) throw new Error(`duplicate attribute key ${kv.key}`);
    out[kv.key] = anyValue(kv.value);
  }
  return out;
}

interface RequestObject {
  resourceLogs?: Array<{
    resource?: { attributes?: KeyValueObject[] };
    scopeLogs?: Array<{
      scope?: { name?: string; version?: string };
      logRecords?: Array<{
        timeUnixNano?: string;
        observedTimeUnixNano?: string;
        severityNumber?: number;
        severityText?: string;
        body?: AnyValueObject;
        attributes?: KeyValueObject[];
      }>;
    }>;
  }>;
}

const TO_OBJECT = { longs: String, enums: Number, bytes: String, defaults: false, oneofs: false };

/** A protobuf ExportLogsServiceRequest → flat records, with the ResourceLogs they sat in. */
export function decodeProtoRequest(body: Uint8Array): { records: ReceivedRecord[]; resourceLogs: number } {
  const msg = ExportLogsServiceRequest.decode(body);
  return flatten(ExportLogsServiceRequest.toObject(msg, TO_OBJECT) as RequestObject);
}

/**
 * An OTLP/JSON body → flat records. `strict` checks what a sender must do (F.1): receivers also
 * accept 64-bit integers as numbers, which the official JS serializer writes.
 */
export function decodeJsonRequest(
  text: string,
  strict = true,
): { records: ReceivedRecord[]; resourceLogs: number } {
  const parsed: unknown = JSON.parse(text);
  if (strict) checkJsonRules(parsed, '$');
  const msg = ExportLogsServiceRequest.fromObject(parsed as Record<string, unknown>);
  return flatten(ExportLogsServiceRequest.toObject(msg, TO_OBJECT) as RequestObject);
}

const INT64_KEYS = new Set(['timeUnixNano', 'observedTimeUnixNano', 'intValue']);

/** lowerCamelCase keys only, 64-bit integers as strings, enums as numbers. */
function checkJsonRules(v: unknown, path: string): void {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) checkJsonRules(v[i], `${path}[${i}]`);
    return;
  }
  if (v === null || typeof v !== 'object') return;
  const obj = v as Record<string, unknown>;
  const isKeyValue = typeof obj.key === 'string' && 'value' in obj;
  for (const [k, x] of Object.entries(obj)) {
    if (k.includes('_')) throw new Error(`${path}.${k}: OTLP/JSON keys are lowerCamelCase`);
    if (INT64_KEYS.has(k) && typeof x !== 'string')
      throw new Error(`${path}.${k}: 64-bit integers are strings`);
    if (k === 'severityNumber' && typeof x !== 'number') throw new Error(`${path}.${k}: enums are integers`);
    if (!(isKeyValue && k === 'key')) checkJsonRules(x, `${path}.${k}`);
  }
}

function flatten(req: RequestObject): { records: ReceivedRecord[]; resourceLogs: number } {
  const records: ReceivedRecord[] = [];
  for (const rl of req.resourceLogs ?? []) {
    const resource = keyValues(rl.resource?.attributes);
    for (const sl of rl.scopeLogs ?? []) {
      if ((sl.logRecords ?? []).length === 0) throw new Error('empty ScopeLogs');
      for (const lr of sl.logRecords ?? []) {
        records.push({
          resource,
          scope: { name: sl.scope?.name ?? '', version: sl.scope?.version ?? '' },
          timeUnixNano: lr.timeUnixNano ?? '0',
          observedTimeUnixNano: lr.observedTimeUnixNano ?? '0',
          severityNumber: lr.severityNumber ?? 0,
          severityText: lr.severityText ?? '',
          body: anyValue(lr.body),
          attributes: keyValues(lr.attributes),
        });
      }
    }
  }
  return { records, resourceLogs: (req.resourceLogs ?? []).length };
}
