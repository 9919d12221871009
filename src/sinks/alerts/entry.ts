import { registerSink } from '../registry.js';
import { ALERTS_OPTIONS } from './options.js';

registerSink({
  name: 'alerts',
  summary:
    'Detection engine: built-in and user rules over the records, alerts to stdout, webhooks, Slack, SNS, OTLP, the store',
  options: ALERTS_OPTIONS,
  load: () => import('./sink.js'),
});
