import { alerts, alertsIngest, alertsLarge } from './alerts.js';
import { baseline } from './baseline.js';
import { dashboard10m } from './dashboard.js';
import { decode, decodeLarge } from './decode.js';
import { enrich } from './enrich.js';
import { generate } from './generate.js';
import { bombs, serveHostile } from './hostile.js';
import { lambdaS3Otlp, lambdaS3OtlpDefault } from './lambda.js';
import {
  otlp,
  otlpEncode,
  otlpEncodeDefault,
  otlpGzip,
  otlpLarge,
  otlpSdk,
  otlpSend,
  otlpSendDefault,
  otlpWire,
} from './otlp.js';
import { serveFirehose, serveFirehoseRaw, serveFirehoseStore } from './serve.js';
import { elasticsearch, elasticsearchDefault, httpJson, httpJsonDefault, otlpDefault } from './sinks.js';
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
  otlpDefault,
  httpJson,
  httpJsonDefault,
  elasticsearch,
  elasticsearchDefault,
  lambdaS3Otlp,
  lambdaS3OtlpDefault,
  otlpLarge,
  otlpEncode,
  otlpSend,
  otlpEncodeDefault,
  otlpSendDefault,
  otlpWire,
  storeReadCsv,
  storeIngest,
  storeIngestPlain,
  storeTopTalkers,
  storeSink,
  storeSinkPlain,
  serveFirehose,
  serveFirehoseRaw,
  serveFirehoseStore,
  serveHostile,
  bombs,
  alertsIngest,
  alerts,
  alertsLarge,
  dashboard10m,
];
