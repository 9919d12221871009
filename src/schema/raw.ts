import type { FlowBatch } from '../batch/flow-batch.js';
import { compileRaw } from './json/raw.js';
import type { Document, DocumentSchema } from './types.js';

/**
 * The canonical record: AWS field names in snake_case (as AWS's Parquet files and Athena use
 * them), integers as numbers, `-` as null, then the enrichment columns.
 */
export function rawDocumentSchema(): DocumentSchema {
  return {
    name: 'raw',
    document: (batch: FlowBatch, i: number): Document => batch.row(i),
    compile: compileRaw,
  };
}
