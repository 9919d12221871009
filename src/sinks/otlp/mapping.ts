import type { ResolvedOptions } from '../../config/options.js';
import { schemaOptionsFrom } from '../../schema/options.js';
import { otelMapping } from '../../schema/otel.js';
import type { OtelMapping } from '../../schema/types.js';

/** The schema stage's OpenTelemetry mapping, built with the run's --otel-* options. */
export function loadOtelMapping(options: ResolvedOptions): OtelMapping {
  return otelMapping(schemaOptionsFrom(options));
}
