import type { Writable } from 'node:stream';
import type { SinkResult } from '../../core/types.js';
import { DeliveryError } from '../../delivery/errors.js';
import { Delivery } from '../../delivery/queue.js';
import type { AlertEvent } from '../book.js';
import { type AlertOutput, alertJson, firedAlerts } from './output.js';

/** Fired alerts as NDJSON (one alert per line) on a stream, stdout by default. */
export class StreamAlertOutput implements AlertOutput {
  readonly name = 'stdout';
  private readonly delivery = new Delivery({
    name: 'alerts stdout',
    maxInFlight: 1,
    retry: { maxAttempts: 1, maxElapsedMs: 0, initialDelayMs: 0, maxDelayMs: 0 },
  });

  constructor(private readonly out: Writable = process.stdout) {}

  async take(events: readonly AlertEvent[]): Promise<void> {
    const alerts = firedAlerts(events);
    if (alerts.length === 0) return;
    const text = alerts.map((a) => `${alertJson(a)}\n`).join('');
    const out = this.out;
    await this.delivery.submit({
      records: alerts.length,
      bytes: Buffer.byteLength(text),
      send: () =>
        new Promise((resolve, reject) => {
          out.write(text, (err) =>
            err
              ? reject(new DeliveryError(`stdout: ${err.message}`, false))
              : resolve({ delivered: alerts.length, rejected: 0 }),
          );
        }),
    });
  }

  async settle(): Promise<SinkResult> {
    await this.delivery.settled();
    return this.delivery.result();
  }

  async close(): Promise<SinkResult> {
    await this.delivery.drain();
    return this.delivery.result();
  }
}
