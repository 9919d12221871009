import type { JsonBytes } from './bytes.js';

/**
 * Row i of one batch written as JSON into `out`: a schema's document compiled for that batch.
 *
 * Why compiled: `JSON.stringify(schema.document(batch, i))` builds an object per record (nested
 * ones for ECS and OCSF) and escapes every string again; with the default enrichers that cost the
 * http sink about 9 µs of CPU per record and Elasticsearch about 16 µs. A compiled writer looks
 * its columns up once per batch, encodes each dictionary value's `"key":"value"` once per code,
 * and writes numbers and times as digits, with byte-for-byte the same output (test/schema/json-
 * writer.test.ts holds it to `document()`, which stays the plain reference).
 */
export type RowJson = (out: JsonBytes, i: number) => void;
