import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SinkResult } from '../../core/types.js';
import { DeliveryError } from '../../delivery/errors.js';
import type { DeliverySettings } from '../../delivery/options.js';
import { Delivery } from '../../delivery/queue.js';
import type { AlertEvent } from '../book.js';
import type { Alert } from '../types.js';
import { type AlertOutput, firedAlerts } from './output.js';

/** SDK errors worth another attempt: throttling, 5xx, network failures. */
function classify(err: unknown, topic: string): DeliveryError {
  const e = err as {
    name?: string;
    message?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e.$metadata?.httpStatusCode;
  const retryable =
    e.$retryable !== undefined ||
    status === undefined ||
    status >= 500 ||
    status === 429 ||
    /Throttl|TooManyRequests|RequestTimeout|Unavailable/i.test(e.name ?? '');
  return new DeliveryError(
    `SNS Publish ${topic}: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`,
    retryable,
  );
}

/** The SNS subject line: at most 100 printable ASCII characters. */
function subject(alert: Alert): string {
  return `[${alert.severity}] ${alert.title}: ${alert.key}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
}

/**
 * Publishes each fired alert to an SNS topic with the AWS SDK: the message is the alert JSON,
 * the subject a one-line summary, `severity` and `rule` message attributes allow subscription
 * filter policies. The SDK's own retries are off; the shared Delivery queue retries.
 */
export class SnsAlertOutput implements AlertOutput {
  readonly name = 'sns';
  private readonly delivery: Delivery;
  private readonly client: SNSClient;

  constructor(
    private readonly topic: string,
    region: string,
    endpoint: string | undefined,
    settings: DeliverySettings,
    warn: (message: string) => void,
  ) {
    this.delivery = new Delivery({
      name: 'alerts sns',
      maxInFlight: settings.maxInFlight,
      retry: settings.retry,
      warn,
    });
    this.client = new SNSClient({ region, maxAttempts: 1, ...(endpoint ? { endpoint } : {}) });
  }

  async take(events: readonly AlertEvent[]): Promise<void> {
    for (const alert of firedAlerts(events)) {
      const message = JSON.stringify(alert);
      const command = new PublishCommand({
        TopicArn: this.topic,
        Subject: subject(alert),
        Message: message,
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: alert.severity },
          rule: { DataType: 'String', StringValue: alert.rule },
        },
      });
      const client = this.client;
      const topic = this.topic;
      await this.delivery.submit({
        records: 1,
        bytes: Buffer.byteLength(message),
        async send() {
          try {
            await client.send(command);
          } catch (err) {
            throw classify(err, topic);
          }
          return { delivered: 1, rejected: 0 };
        },
      });
    }
  }

  async settle(): Promise<SinkResult> {
    await this.delivery.settled();
    return this.delivery.result({ topic: this.topic });
  }

  async close(): Promise<SinkResult> {
    await this.delivery.drain();
    this.client.destroy();
    return this.delivery.result({ topic: this.topic });
  }
}
