import { ecsDocumentSchema } from './ecs.js';
import { ocsfDocumentSchema } from './ocsf.js';
import { otelDocumentSchema, otelMapping } from './otel.js';
import { rawDocumentSchema } from './raw.js';
import { type DocumentSchema, SCHEMA_NAMES, type SchemaName, type SchemaOptions } from './types.js';

export { SCHEMA_OPTIONS, schemaOptionsFrom } from './options.js';
export { otelMapping };

/** The document form of a schema: raw, otel (flat attributes), ecs or ocsf. */
export function documentSchema(name: SchemaName, options: SchemaOptions = {}): DocumentSchema {
  switch (name) {
    case 'raw':
      return rawDocumentSchema();
    case 'otel':
      return otelDocumentSchema(options);
    case 'ecs':
      return ecsDocumentSchema();
    case 'ocsf':
      return ocsfDocumentSchema();
    default:
      throw new Error(`unknown schema "${String(name)}" (available: ${SCHEMA_NAMES.join(', ')})`);
  }
}
