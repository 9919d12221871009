import type { OptionSpec } from '../../config/options.js';
import { DELIVERY_OPTIONS } from '../../delivery/options.js';
import { SCHEMA_OPTIONS } from '../../schema/options.js';

/** The per-signal variable wins over the generic one, then flowlens's own name. */
const otelEnv = (suffix: string, own: string): string[] => [
  `OTEL_EXPORTER_OTLP_LOGS_${suffix}`,
  `OTEL_EXPORTER_OTLP_${suffix}`,
  `FLOWLENS_${own}`,
];

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export const OTLP_OPTIONS = [
  {
    name: 'otlp-endpoint',
    type: 'url',
    // Read from the environment by the sink: OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is used as is,
    // OTEL_EXPORTER_OTLP_ENDPOINT gets v1/logs appended (spec sheet F.2).
    env: ['FLOWLENS_OTLP_ENDPOINT'],
    description:
      'OTLP base URL; v1/logs is appended for HTTP unless the URL ends in /v1/logs (default http://localhost:4318, gRPC :4317)',
    placeholder: 'url',
  },
  {
    name: 'otlp-protocol',
    type: 'enum',
    choices: OTLP_PROTOCOLS,
    env: otelEnv('PROTOCOL', 'OTLP_PROTOCOL'),
    default: 'http/protobuf',
    description: 'OTLP transport',
  },
  {
    name: 'otlp-header',
    type: 'string',
    multiple: true,
    env: ['FLOWLENS_OTLP_HEADER'],
    description: 'Request header key=value (adds to OTEL_EXPORTER_OTLP_[LOGS_]HEADERS)',
    placeholder: 'k=v',
  },
  {
    name: 'otlp-compression',
    type: 'enum',
    choices: ['gzip', 'none'],
    env: otelEnv('COMPRESSION', 'OTLP_COMPRESSION'),
    default: 'none',
    description: 'Request compression',
  },
  {
    name: 'otlp-gzip-level',
    type: 'int',
    min: 1,
    max: 9,
    default: 1,
    description: 'zlib level of gzip-compressed requests (1: fastest, 9: smallest)',
    placeholder: 'n',
  },
  {
    name: 'otlp-timeout',
    type: 'int',
    min: 0,
    env: otelEnv('TIMEOUT', 'OTLP_TIMEOUT'),
    default: 10000,
    description: 'Time limit of one export request in ms (0: only --retry-max-time bounds it)',
    placeholder: 'ms',
  },
  {
    name: 'otlp-certificate',
    type: 'path',
    env: otelEnv('CERTIFICATE', 'OTLP_CERTIFICATE'),
    description: 'PEM file of CA certificates trusted for https endpoints',
    placeholder: 'file',
  },
  {
    name: 'otlp-client-key',
    type: 'path',
    env: otelEnv('CLIENT_KEY', 'OTLP_CLIENT_KEY'),
    description: 'PEM private key for mutual TLS',
    placeholder: 'file',
  },
  {
    name: 'otlp-client-certificate',
    type: 'path',
    env: otelEnv('CLIENT_CERTIFICATE', 'OTLP_CLIENT_CERTIFICATE'),
    description: 'PEM client certificate (chain) for mutual TLS',
    placeholder: 'file',
  },
  ...SCHEMA_OPTIONS,
  ...DELIVERY_OPTIONS,
] as const satisfies readonly OptionSpec[];
