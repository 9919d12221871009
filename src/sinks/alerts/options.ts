import { resolve } from 'node:path';
import { ConfigError, type OptionSpec, type ResolvedOptions } from '../../config/options.js';
import { DELIVERY_OPTIONS, type DeliverySettings, deliverySettings } from '../../delivery/options.js';

export const ALERTS_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'alerts-config',
    type: 'path',
    description: 'alerts: JSON or YAML file tuning built-in rules and adding user rules (docs/alerts.md)',
    placeholder: 'file',
  },
  {
    name: 'alerts-webhook',
    type: 'url',
    description: 'alerts: POST each alert as JSON to this URL',
    placeholder: 'url',
  },
  {
    name: 'alerts-slack',
    type: 'url',
    description: 'alerts: Slack incoming-webhook URL',
    placeholder: 'url',
  },
  {
    name: 'alerts-sns-topic',
    type: 'string',
    description: 'alerts: publish each alert to this Amazon SNS topic ARN',
    placeholder: 'arn',
  },
  {
    name: 'alerts-sns-endpoint',
    type: 'url',
    description: 'alerts: SNS endpoint URL instead of the regional one (VPC endpoints, tests)',
    placeholder: 'url',
  },
  {
    name: 'alerts-otlp',
    type: 'boolean',
    default: false,
    description: 'alerts: send each alert as an OTLP log record to --otlp-endpoint (http/json)',
  },
  {
    name: 'alerts-db',
    type: 'path',
    description: 'alerts: write alerts to the table "alerts" of this DuckDB store',
    placeholder: 'file',
  },
  {
    name: 'alerts-stdout',
    type: 'boolean',
    default: false,
    description:
      'alerts: also write alerts as NDJSON on stdout (the default when no other destination is set)',
  },
  {
    name: 'alerts-timeout',
    type: 'int',
    min: 0,
    default: 10000,
    description: 'alerts: time limit of one webhook, Slack or OTLP request in ms (0: none)',
    placeholder: 'ms',
  },
  {
    name: 'alerts-windows',
    type: 'enum',
    choices: ['stream', 'unit'],
    default: 'stream',
    description:
      'alerts: stream = windows span every unit of the process (serve, CLI); unit = each unit (a Lambda invocation) closes its windows and delivers its alerts before it is acknowledged (the Lambda default)',
  },
  ...DELIVERY_OPTIONS,
];

/** Where alerts go and how the engine is tuned, read from resolved options. */
export interface AlertsSinkOptions {
  readonly configPath?: string;
  readonly webhook?: URL;
  readonly slack?: URL;
  readonly snsTopic?: string;
  readonly snsEndpoint?: string;
  readonly otlpEndpoint?: string;
  readonly db?: string;
  readonly stdout: boolean;
  /** Close every window at each unit's checkpoint (Lambda invocations) instead of by record time. */
  readonly windowsPerUnit: boolean;
  readonly timeoutMs: number;
  readonly delivery: DeliverySettings;
  /** The store of `--to store` (its `--db`), which the baseline rules read previous days from. */
  readonly baselineStore?: string;
}

const SNS_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** The region of an SNS topic ARN, or a ConfigError naming the setting. */
export function snsRegion(arn: string): string {
  const m = SNS_ARN.exec(arn);
  if (!m)
    throw new ConfigError(
      `--alerts-sns-topic: expected arn:aws:sns:<region>:<account>:<topic> (got ${JSON.stringify(arn)})`,
    );
  return m[1]!;
}

export function parseAlertsSinkOptions(o: ResolvedOptions, env: NodeJS.ProcessEnv): AlertsSinkOptions {
  const str = (name: string): string | undefined =>
    typeof o[name] === 'string' ? (o[name] as string) : undefined;
  const snsTopic = str('alerts-sns-topic');
  if (snsTopic) snsRegion(snsTopic);
  let otlpEndpoint: string | undefined;
  if (o['alerts-otlp'] === true) {
    otlpEndpoint =
      str('otlp-endpoint') ?? env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
    if (!otlpEndpoint)
      throw new ConfigError('--alerts-otlp needs --otlp-endpoint (or OTEL_EXPORTER_OTLP_ENDPOINT)');
  }
  const webhook = str('alerts-webhook');
  const slack = str('alerts-slack');
  const db = str('alerts-db');
  const to = Array.isArray(o.to) ? o.to : [];
  const storeDb = str('db') ?? './flowlens.duckdb'; // the store's default (store/store.ts loads DuckDB)
  if (db && to.includes('store') && resolve(db) === resolve(storeDb))
    throw new ConfigError(
      `--alerts-db ${db} is the store of --to store: one process must not open a DuckDB file twice; name another file`,
    );
  const configPath = str('alerts-config');
  const snsEndpoint = str('alerts-sns-endpoint');
  const anyDestination = webhook || slack || snsTopic || otlpEndpoint || db;
  return {
    ...(configPath ? { configPath } : {}),
    ...(webhook ? { webhook: new URL(webhook) } : {}),
    ...(slack ? { slack: new URL(slack) } : {}),
    ...(snsTopic ? { snsTopic } : {}),
    ...(snsEndpoint ? { snsEndpoint } : {}),
    ...(otlpEndpoint ? { otlpEndpoint } : {}),
    ...(db ? { db } : {}),
    stdout: o['alerts-stdout'] === true || !anyDestination,
    windowsPerUnit: o['alerts-windows'] === 'unit',
    timeoutMs: typeof o['alerts-timeout'] === 'number' ? o['alerts-timeout'] : 10000,
    delivery: deliverySettings(o),
    ...(to.includes('store') ? { baselineStore: storeDb } : {}),
  };
}
