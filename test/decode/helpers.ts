import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CellValue, FlowBatch } from '../../src/batch/flow-batch.js';
import { RunStats } from '../../src/core/stats.js';
import type { SourceInput } from '../../src/core/types.js';
import { decodeInput } from '../../src/decode/detect.js';
import type { ParsedFormat } from '../../src/fields/format.js';
import { fileInput } from '../../src/sources/files.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/decode/', import.meta.url));
export const fixture = (name: string): string => FIXTURES + name;
export const fixtureBytes = (name: string): Buffer => readFileSync(fixture(name));

/** An in-memory input delivered in chunks of `chunk` bytes (to cross every boundary). */
export function bytesInput(id: string, bytes: Uint8Array, chunk = 65536): SourceInput {
  return {
    ref: { id },
    size: bytes.length,
    async *open() {
      for (let i = 0; i < bytes.length; i += chunk)
        yield bytes.subarray(i, Math.min(bytes.length, i + chunk));
    },
  };
}

export interface Decoded {
  readonly batches: FlowBatch[];
  readonly rows: Record<string, CellValue>[];
  readonly positions: number[];
  readonly stats: RunStats;
  readonly error?: Error;
}

/** Decodes one input to the end, keeping the error (if any) instead of throwing. */
export async function decode(
  input: SourceInput,
  options: { format?: ParsedFormat; batchSize?: number } = {},
): Promise<Decoded> {
  const stats = new RunStats();
  const batches: FlowBatch[] = [];
  let error: Error | undefined;
  try {
    for await (const b of decodeInput(input, { ...options, stats })) batches.push(b);
  } catch (err) {
    error = err as Error;
  }
  return {
    batches,
    rows: batches.flatMap((b) => Array.from({ length: b.length }, (_, i) => b.row(i))),
    positions: batches.flatMap((b) => Array.from(b.positions)),
    stats,
    ...(error ? { error } : {}),
  };
}

export const decodeFixture = (name: string, options: { format?: ParsedFormat; batchSize?: number } = {}) =>
  decode(fileInput(fixture(name)), options);

/** Everything a decode produced, in a form two decodes can be compared by (deepEqual). */
export interface Outcome {
  readonly rows: Record<string, CellValue>[];
  readonly positions: number[];
  readonly lines: string[];
  readonly sizes: number[];
  readonly stats: Record<string, unknown>;
  readonly error?: string;
}

export function outcomeOf(batches: readonly FlowBatch[], stats: RunStats, error?: string): Outcome {
  const each = <T>(f: (b: FlowBatch, i: number) => T): T[] =>
    batches.flatMap((b) => Array.from({ length: b.length }, (_, i) => f(b, i)));
  return {
    rows: each((b, i) => b.row(i)),
    positions: each((b, i) => b.positions[i]!),
    lines: each((b, i) => b.line(i)),
    sizes: batches.map((b) => b.length),
    stats: stats.toJSON(),
    ...(error ? { error } : {}),
  };
}
