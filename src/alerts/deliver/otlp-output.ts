import type { DeliverySettings } from '../../delivery/options.js';
import type { Alert, Severity } from '../types.js';
import { HttpAlertOutput } from './http-output.js';

/** OpenTelemetry severity numbers (logs data model): INFO, WARN, ERROR, FATAL. */
const SEVERITY_NUMBER: Readonly<Record<Severity, number>> = { low: 9, medium: 13, high: 17, critical: 21 };
const SEVERITY_TEXT: Readonly<Record<Severity, string>> = {
  low: 'INFO',
  medium: 'WARN',
  high: 'ERROR',
  critical: 'FATAL',
};

function attr(key: string, value: string | number): Record<string, unknown> {
  return { key, value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value } };
}

/** One alert as an OTLP/JSON ExportLogsServiceRequest with a single log record. */
export function otlpLogBody(alert: Alert): Uint8Array {
  const nanos = `${BigInt(Date.parse(alert.last_seen)) * 1_000_000n}`;
  const record = {
    timeUnixNano: nanos,
    observedTimeUnixNano: `${BigInt(Date.now()) * 1_000_000n}`,
    severityNumber: SEVERITY_NUMBER[alert.severity],
    severityText: SEVERITY_TEXT[alert.severity],
    body: { stringValue: `${alert.title}: ${alert.key}` },
    eventName: 'flowlens.alert',
    attributes: [
      attr('alert.id', alert.id),
      attr('alert.rule', alert.rule),
      attr('alert.severity', alert.severity),
      attr('alert.key', alert.key),
      attr('threat.technique.id', alert.mitre),
      attr('alert.first_seen', alert.first_seen),
      attr('alert.last_seen', alert.last_seen),
      attr('alert.count', alert.count),
      attr('alert.bytes', alert.bytes),
      attr('alert.packets', alert.packets),
      {
        key: 'alert.sample_uids',
        value: { arrayValue: { values: alert.sample_uids.map((u) => ({ stringValue: u })) } },
      },
      attr('alert.details', JSON.stringify(alert.details)),
    ],
  };
  const request = {
    resourceLogs: [
      {
        resource: { attributes: [attr('service.name', 'flowlens')] },
        scopeLogs: [{ scope: { name: 'flowlens.alerts' }, logRecords: [record] }],
      },
    ],
  };
  return Buffer.from(JSON.stringify(request), 'utf8');
}

/** The logs URL of an OTLP/HTTP endpoint: `/v1/logs` appended unless the URL names a path. */
export function otlpLogsUrl(endpoint: string): URL {
  const url = new URL(endpoint);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/logs';
  return url;
}

export function otlpAlertOutput(
  endpoint: string,
  timeoutMs: number,
  settings: DeliverySettings,
  warn: (message: string) => void,
): HttpAlertOutput {
  return new HttpAlertOutput('otlp', otlpLogsUrl(endpoint), otlpLogBody, timeoutMs, settings, warn);
}
