import { readFileSync } from 'node:fs';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { makeBatch } from '../enrich/make-batch.js';
import { allTestEnrichers } from '../enrich/test-dbs.js';

export const FIXTURE_DIR = new URL('../fixtures/schema/', import.meta.url);

/** One fixture per record version AWS writes, plus NODATA/SKIPDATA. */
export const FIXTURES = ['v2', 'v3', 'v4', 'v5', 'v6-tgw', 'v7-ecs', 'v8', 'v11', 'nodata'] as const;

/** A fixture file as a batch, as the text decoder would fill it (header line, then records). */
export function fixtureBatch(name: string): FlowBatch {
  const text = readFileSync(new URL(`${name}.log`, FIXTURE_DIR), 'utf8');
  const [header, ...lines] = text.split('\n').filter((l) => l.trim() !== '');
  return makeBatch(header!, lines, { id: `fixtures/${name}.log` });
}

/** A fixture batch with every enricher run, geo/ASN from the small test databases. */
export async function enrichedFixture(name: string): Promise<FlowBatch> {
  const batch = fixtureBatch(name);
  const enrichers = await allTestEnrichers();
  for (const e of enrichers) e.enrich(batch);
  return batch;
}
