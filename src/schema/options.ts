import type { OptionSpec, ResolvedOptions } from '../config/options.js';
import type { SchemaOptions } from './types.js';

/** Options of the output schemas (the OTel ones; the other schemas have none). */
export const SCHEMA_OPTIONS = [
  {
    name: 'otel-time',
    type: 'enum',
    choices: ['end', 'start'],
    default: 'end',
    description: 'OTel schema: which flow time becomes the log record time',
  },
  {
    name: 'otel-body',
    type: 'enum',
    choices: ['line', 'summary', 'none'],
    default: 'line',
    description: 'OTel schema: log body is the original line, a one-line summary, or none',
  },
] as const satisfies readonly OptionSpec[];

/** SchemaOptions from resolved command-line/env/config options. */
export function schemaOptionsFrom(options: ResolvedOptions): SchemaOptions {
  const time = options['otel-time'];
  const body = options['otel-body'];
  return {
    ...(time === 'start' || time === 'end' ? { timeField: time } : {}),
    ...(body === 'line' || body === 'summary' || body === 'none' ? { body } : {}),
  };
}
