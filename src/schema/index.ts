import type { FlowBatch } from '../batch/flow-batch.js';
import type { Document, DocumentSchema, SchemaName, SchemaOptions } from './types.js';

/** PLACEHOLDER (raw only): the schema stage replaces this with raw, otel, ecs and ocsf. */
export function documentSchema(name: SchemaName, _options: SchemaOptions = {}): DocumentSchema {
  if (name !== 'raw') throw new Error(`schema ${name} is not built yet`);
  return { name, document: (batch: FlowBatch, i: number): Document => batch.row(i) };
}
