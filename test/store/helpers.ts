import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Column, FlowBatch, numColumn, StrColumnBuilder } from '../../src/batch/flow-batch.js';
import { resolveField } from '../../src/fields/catalog.js';

/**
 * Builds a FlowBatch from flow-log text lines (header first) the simple way, so store tests
 * exercise the store alone; the end-to-end tests go through the real decoder.
 */
export function batchFromLines(sourceId: string, lines: readonly string[], firstPosition = 2): FlowBatch {
  const [header, ...records] = lines;
  const fields = header!.trim().split(/\s+/).map(resolveField);
  const columns: Column[] = fields.map((f, c) => {
    if (f.type === 'string') {
      const b = new StrColumnBuilder(records.length);
      records.forEach((line, i) => {
        const v = line.trim().split(/\s+/)[c]!;
        b.set(i, v === '-' ? null : v);
      });
      return b.build(records.length);
    }
    const col = numColumn(records.length);
    records.forEach((line, i) => {
      const v = line.trim().split(/\s+/)[c]!;
      col.values[i] = v === '-' ? Number.NaN : Number(v);
    });
    return col;
  });
  const positions = Float64Array.from(records, (_, i) => firstPosition + i);
  return new FlowBatch(fields, columns, records.length, { id: sourceId }, positions);
}

export function tempDir(prefix = 'flowlens-store-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
