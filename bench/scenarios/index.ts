import { baseline } from './baseline.js';
import { dashboard10m } from './dashboard.js';
import { decode, decodeLarge } from './decode.js';
import { enrich } from './enrich.js';
import { generate } from './generate.js';
import { otlp, otlpEncode, otlpGzip, otlpLarge, otlpSdk, otlpSend, otlpWire } from './otlp.js';
import {
  storeIngest,
  storeIngestPlain,
  storeReadCsv,
  storeSink,
  storeSinkPlain,
  storeTopTalkers,
} from './store.js';
import type { Scenario } from './types.js';

/** Every benchmark scenario, in run order. Add yours here (see bench/README.md). */
export const SCENARIOS: readonly Scenario[] = [
  baseline,
  decode,
  decodeLarge,
  enrich,
  generate,
  otlp,
  otlpGzip,
  otlpSdk,
  otlpLarge,
  otlpEncode,
  otlpSend,
  otlpWire,
  storeReadCsv,
  storeIngest,
  storeIngestPlain,
  storeTopTalkers,
  storeSink,
  storeSinkPlain,
  dashboard10m,
];
