import { type Column, FlowBatch, type SourceRef, StrColumnBuilder } from '../../src/batch/flow-batch.js';
import { resolveField } from '../../src/fields/catalog.js';

/**
 * A FlowBatch from a header line and record lines, the way a text decoder fills one:
 * numbers into Float64Array (NaN for `-`), strings dictionary-encoded. Positions are the
 * 1-based line numbers of a file whose first line is the header.
 */
export function makeBatch(
  header: string,
  lines: readonly string[],
  source: SourceRef = { id: 'test.log' },
  recordIds?: readonly string[],
): FlowBatch {
  const fields = header.trim().split(/\s+/).map(resolveField);
  const n = lines.length;
  const rows = lines.map((l) => l.trim().split(/\s+/));
  for (const [r, row] of rows.entries()) {
    if (row.length !== fields.length)
      throw new Error(`line ${r + 1}: ${row.length} values for ${fields.length} fields`);
  }
  const columns: Column[] = fields.map((f, c) => {
    if (f.type === 'string') {
      const b = new StrColumnBuilder(n);
      for (let i = 0; i < n; i++) {
        const v = rows[i]![c]!;
        b.set(i, v === '-' ? null : v);
      }
      return b.build(n);
    }
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = rows[i]![c]!;
      values[i] = v === '-' ? Number.NaN : Number(v);
    }
    return { kind: 'num', values };
  });
  const positions = Float64Array.from({ length: n }, (_, i) => i + 2);
  return new FlowBatch(fields, columns, n, source, positions, recordIds);
}
