/**
 * An OTLP encoding thread: maps, encodes and sends the batches the main thread decodes, with
 * its own sink (encoder, buffer pool, delivery queue). Messages are handled one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fromMessage } from '../../batch/message.js';
import { otelMapping } from '../../schema/otel.js';
import type { OtlpConfig } from './config.js';
import { createOtlpSink } from './sink.js';
import type { FromWorker, ToWorker, WorkerSetup } from './worker-protocol.js';

const port = parentPort!;
const setup = workerData as WorkerSetup;
const post = (m: FromWorker): void => port.postMessage(m);
const buf = (u: Uint8Array | undefined): Buffer | undefined => (u ? Buffer.from(u) : undefined);

const config: OtlpConfig = {
  ...setup.config,
  url: new URL(setup.config.url),
  tls: {
    ...(setup.config.tls.ca ? { ca: buf(setup.config.tls.ca)! } : {}),
    ...(setup.config.tls.cert ? { cert: buf(setup.config.tls.cert)! } : {}),
    ...(setup.config.tls.key ? { key: buf(setup.config.tls.key)! } : {}),
  },
  resource: new Map(setup.config.resource),
};

const sinkReady = createOtlpSink(config, setup.settings, otelMapping(setup.schema), {
  log: (message) => post({ type: 'warn', message }),
});

let chain: Promise<void> = Promise.resolve();
let failed = false;

port.on('message', (m: ToWorker) => {
  chain = chain.then(() => handle(m));
});

async function handle(m: ToWorker): Promise<void> {
  const sink = await sinkReady;
  if (m.type === 'batch') {
    try {
      await sink.write(fromMessage(m.batch));
      post({ type: 'ack' });
    } catch (err) {
      failed = true;
      post({ type: 'fatal', message: (err as Error).message });
    }
  } else if (m.type === 'checkpoint') {
    const { id } = m;
    // Not awaited: the worker goes on with later batches while these requests settle.
    const { settled } = await sink.checkpoint();
    settled.then((result) => post({ type: 'checkpoint', id, result }));
  } else if (m.type === 'flush') {
    if (!failed) await sink.endInput?.({ id: '' }).catch(() => undefined);
  } else {
    post({ type: 'result', result: await sink.close() });
    port.close();
  }
}
