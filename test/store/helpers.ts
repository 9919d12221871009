import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Column, cellAt, FlowBatch, numColumn, StrColumnBuilder } from '../../src/batch/flow-batch.js';
import { RunStats } from '../../src/core/stats.js';
import { decodeInput } from '../../src/decode/detect.js';
import { buildEnrichers } from '../../src/enrich/index.js';
import { resolveField } from '../../src/fields/catalog.js';
import { writeSample } from '../../src/generate/index.js';
import { fileInput } from '../../src/sources/files.js';
import { openStoreReader } from '../../src/store/open.js';
import type { ReportDef } from '../../src/store/reports.js';
import { FlowStore } from '../../src/store/store.js';

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

/** A generated v5 sample in `dir`, decoded and run through every enricher, and its source id. */
export async function enrichedSample(
  dir: string,
  records: number,
  seed: number,
  batchSize: number,
): Promise<{ batches: FlowBatch[]; sourceId: string }> {
  const path = join(dir, 'v5.log.gz');
  await writeSample(path, { records, version: '5', seed });
  const enrichers = await buildEnrichers({ enrich: ['all'] });
  const input = fileInput(path);
  const batches: FlowBatch[] = [];
  for await (const batch of decodeInput(input, { stats: new RunStats(), batchSize })) {
    for (const e of enrichers) e.enrich(batch);
    batches.push(batch);
  }
  return { batches, sourceId: input.ref.id };
}

/** The batches' values of `columns` by record position (lists as plain arrays): what `flows` must show. */
export function cellsByPosition(
  from: readonly FlowBatch[],
  columns: readonly string[],
): Map<number, unknown[]> {
  const out = new Map<number, unknown[]>();
  for (const b of from) {
    for (let i = 0; i < b.length; i++) {
      out.set(
        b.positions[i]!,
        columns.map((name) => {
          const col = b.column(name);
          const v = col ? cellAt(col, i) : null;
          return Array.isArray(v) ? [...v] : v;
        }),
      );
    }
  }
  return out;
}

/** The physical type of each column of `flow_records`. */
export async function storedTypes(db: string): Promise<Map<string, string>> {
  const reader = await openStoreReader(db);
  try {
    const t = await reader.con.runAndReadAll(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'flow_records'`,
    );
    return new Map(t.getRowsJS().map(([n, ty]) => [String(n), String(ty)]));
  } finally {
    reader.close();
  }
}

/** Stores the first batch as an input, then every batch as a re-ingest of it; the second commit's counts. */
export async function reingest(
  db: string,
  batches: readonly FlowBatch[],
  sourceId: string,
): Promise<{ staged: number; added: number }> {
  let store = await FlowStore.open(db);
  await store.append(batches[0]!);
  await store.commit(sourceId);
  await store.close();
  store = await FlowStore.open(db);
  for (const b of batches) await store.append(b);
  const counts = await store.commit(sourceId);
  await store.close();
  return counts;
}

/** The report with every section over `flows` (no shortcut over the stored codes). */
export function withoutStored(report: ReportDef): ReportDef {
  return { ...report, sections: report.sections.map(({ stored: _, ...s }) => s) };
}
