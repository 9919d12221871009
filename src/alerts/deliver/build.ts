import type { AlertsSinkOptions } from '../../sinks/alerts/options.js';
import { snsRegion } from '../../sinks/alerts/options.js';
import { HttpAlertOutput, slackBody, webhookBody } from './http-output.js';
import { otlpAlertOutput } from './otlp-output.js';
import type { AlertOutput } from './output.js';
import { StreamAlertOutput } from './stdout-output.js';

/** Builds the outputs the options name; heavy ones (SNS SDK, DuckDB) load only when used. */
export async function buildOutputs(
  o: AlertsSinkOptions,
  warn: (message: string) => void,
): Promise<AlertOutput[]> {
  const out: AlertOutput[] = [];
  if (o.stdout) out.push(new StreamAlertOutput());
  if (o.webhook)
    out.push(new HttpAlertOutput('webhook', o.webhook, webhookBody, o.timeoutMs, o.delivery, warn));
  if (o.slack) out.push(new HttpAlertOutput('slack', o.slack, slackBody, o.timeoutMs, o.delivery, warn));
  if (o.otlpEndpoint) out.push(otlpAlertOutput(o.otlpEndpoint, o.timeoutMs, o.delivery, warn));
  if (o.snsTopic) {
    const { SnsAlertOutput } = await import('./sns-output.js');
    out.push(new SnsAlertOutput(o.snsTopic, snsRegion(o.snsTopic), o.snsEndpoint, o.delivery, warn));
  }
  if (o.db) {
    const { StoreAlertOutput } = await import('./store-output.js');
    out.push(await StoreAlertOutput.open(o.db));
  }
  return out;
}
