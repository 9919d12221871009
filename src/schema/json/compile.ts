import type { JsonBytes } from './bytes.js';

/**
 * Row i of one batch written as JSON into `out`: a schema's document compiled for that batch.
 *
 * Why compiled: `JSON.stringify(schema.document(batch, i))` builds an object per record (nested
 * ones for ECS and OCSF) and escapes every string again. With the default enrichers that took
 * 5.5–6 µs of CPU per raw record and 8.1 µs per ECS one; compiled, 2.3 and 3.8 µs (the same
 * process and batches, on a loaded 2-core machine). A compiled writer looks its columns up once
 * per batch, encodes each dictionary value's `"key":"value"` once per code, formats values
 * spread per address once per address, and writes numbers and times as digits, with
 * byte-for-byte the same output: test/schema/json-writer.test.ts holds it to `document()`,
 * which stays the plain reference.
 */
export type RowJson = (out: JsonBytes, i: number) => void;
