/**
 * A decode thread: parses segments of text streams into FlowBatches, runs the enrichers it is
 * given on them, and hands them back with their counts (see SegmentDecoder). Jobs are handled
 * one at a time, in the order they arrive.
 */
import { parentPort } from 'node:worker_threads';
import type { Enricher } from '../core/types.js';
import { SegmentDecoder } from './segment-decoder.js';
import type { SegmentJob, ThreadEnrich, ToDecodeWorker } from './segment-protocol.js';
import { transferables } from './segment-protocol.js';

const port = parentPort!;
const decoder = new SegmentDecoder();
/** Enrichers by options key, with the warnings their setup gave (sent with the next result). */
const enrichers = new Map<string, Promise<Enricher[]>>();
let setupWarnings: string[] = [];
let chain: Promise<void> = Promise.resolve();

port.on('message', (m: ToDecodeWorker) => {
  if (m.type === 'release') decoder.release(m.stream);
  else chain = chain.then(() => handle(m));
});

async function handle(job: SegmentJob): Promise<void> {
  const enrich = job.enrich ? await enrichersFor(job.enrich) : undefined;
  const result = decoder.decode(job, enrich);
  const warnings = setupWarnings;
  setupWarnings = [];
  const out = warnings.length
    ? { ...result, counts: { ...result.counts, warnings: [...warnings, ...result.counts.warnings] } }
    : result;
  port.postMessage(out, transferables(out));
}

function enrichersFor(spec: ThreadEnrich): Promise<Enricher[]> {
  let built = enrichers.get(spec.key);
  if (!built) {
    // Loaded on first use: a thread that only parses never loads the enrichment modules.
    built = (async () => {
      const { buildEnrichers } = await import('../enrich/index.js');
      return buildEnrichers(spec.options, { warn: (message) => setupWarnings.push(message) });
    })();
    enrichers.set(spec.key, built);
  }
  return built;
}
