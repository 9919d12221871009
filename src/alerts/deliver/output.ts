import type { SinkResult } from '../../core/types.js';
import type { AlertEvent } from '../book.js';
import type { Alert } from '../types.js';

/**
 * Somewhere alerts go. Notification outputs (stdout, webhook, Slack, SNS, OTLP) take the alerts
 * that fired; the store takes every event so its row holds the running totals. `take` resolves
 * when the output has room (backpressure); `close` waits for everything in flight.
 */
export interface AlertOutput {
  readonly name: string;
  take(events: readonly AlertEvent[]): Promise<void>;
  /** Waits for the alerts taken so far to be delivered or fail; the running totals. */
  settle(): Promise<SinkResult>;
  close(): Promise<SinkResult>;
}

/** The alerts of the events that fired. */
export function firedAlerts(events: readonly AlertEvent[]): Alert[] {
  const out: Alert[] = [];
  for (const e of events) if (e.kind === 'fired') out.push(e.alert);
  return out;
}

/** The alert as the JSON every output sends (a copy: the book keeps updating its own). */
export function alertJson(alert: Alert): string {
  return JSON.stringify(alert);
}
