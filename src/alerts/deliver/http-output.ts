import type { SinkResult } from '../../core/types.js';
import { HttpClient, httpFailure } from '../../delivery/http.js';
import type { DeliverySettings } from '../../delivery/options.js';
import { Delivery } from '../../delivery/queue.js';
import type { AlertEvent } from '../book.js';
import type { Alert } from '../types.js';
import { type AlertOutput, firedAlerts } from './output.js';

/** Turns one alert into a request body. */
export type AlertBody = (alert: Alert) => Uint8Array;

/**
 * POSTs each fired alert to a URL through the shared Delivery queue (retries with backoff,
 * Retry-After, counted failures): the generic webhook (the alert JSON) and Slack (a message).
 */
export class HttpAlertOutput implements AlertOutput {
  private readonly delivery: Delivery;
  private readonly client: HttpClient;
  private readonly where: string;

  constructor(
    readonly name: string,
    url: URL,
    private readonly body: AlertBody,
    timeoutMs: number,
    settings: DeliverySettings,
    warn: (message: string) => void,
    headers: Readonly<Record<string, string>> = {},
  ) {
    this.where = `POST ${url.origin}${url.pathname}`;
    this.delivery = new Delivery({ name, maxInFlight: settings.maxInFlight, retry: settings.retry, warn });
    this.client = new HttpClient(
      url,
      { 'user-agent': 'flowlens/0.1', 'content-type': 'application/json', ...headers },
      timeoutMs,
      settings.maxInFlight,
    );
  }

  async take(events: readonly AlertEvent[]): Promise<void> {
    const client = this.client;
    const where = this.where;
    for (const alert of firedAlerts(events)) {
      const body = this.body(alert);
      await this.delivery.submit({
        records: 1,
        bytes: body.byteLength,
        async send() {
          const res = await client.post(body);
          if (res.status >= 200 && res.status < 300) return { delivered: 1, rejected: 0 };
          throw httpFailure(res, where);
        },
      });
    }
  }

  async settle(): Promise<SinkResult> {
    await this.delivery.settled();
    return this.delivery.result({ url: this.where.slice(5) });
  }

  async close(): Promise<SinkResult> {
    await this.delivery.drain();
    this.client.close();
    return this.delivery.result({ url: this.where.slice(5) });
  }
}

/** The webhook body: the alert object itself (schema in docs/alerts.md). */
export const webhookBody: AlertBody = (alert) => Buffer.from(JSON.stringify(alert), 'utf8');

const SLACK_EMOJI: Readonly<Record<string, string>> = {
  low: ':information_source:',
  medium: ':warning:',
  high: ':rotating_light:',
  critical: ':fire:',
};

/** A Slack incoming-webhook message: a one-line `text` fallback and a section with the facts. */
export const slackBody: AlertBody = (alert) => {
  const head = `${SLACK_EMOJI[alert.severity] ?? ''} [${alert.severity}] ${alert.title}: ${alert.key}`.trim();
  const facts = [
    `*Rule:* ${alert.rule} (MITRE ${alert.mitre || '-'})`,
    `*Seen:* ${alert.first_seen} → ${alert.last_seen}`,
    `*Records:* ${alert.count}, *bytes:* ${alert.bytes}, *packets:* ${alert.packets}`,
    `*${alert.details.measure}:* ${alert.details.value} (threshold ${alert.details.threshold})`,
  ].join('\n');
  return Buffer.from(
    JSON.stringify({
      text: head,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: head.slice(0, 150) } },
        { type: 'section', text: { type: 'mrkdwn', text: facts } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `alert ${alert.id}` }] },
      ],
    }),
    'utf8',
  );
};
