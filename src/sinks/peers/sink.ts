import { createWriteStream, type WriteStream } from 'node:fs';
import type { FlowBatch } from '../../batch/flow-batch.js';
import { ConfigError, optionsOf, type ResolvedOptions } from '../../config/options.js';
import type { Sink, SinkCheckpoint, SinkResult } from '../../core/types.js';
import { type HttpPoster, httpFailure } from '../../delivery/http.js';
import { type DeliverySettings, deliverySettings, requestTimeoutMs } from '../../delivery/options.js';
import { type ProxyEnv, proxyEnv } from '../../delivery/proxy.js';
import { Delivery } from '../../delivery/queue.js';
import { UndiciClient } from '../../delivery/undici-client.js';
import type { SinkContext } from '../registry.js';
import { PeerAggregator, type PeerBucket } from './aggregator.js';
import { PEERS_OPTIONS } from './options.js';

export interface PeersConfig {
  readonly bucketSeconds: number;
  readonly horizon: number;
  readonly url?: string;
  readonly path?: string;
  readonly timeoutMs: number;
  /** HTTP(S)_PROXY and NO_PROXY for --peers-url (none when absent). */
  readonly proxies?: ProxyEnv;
}

export async function create(options: ResolvedOptions, context: SinkContext): Promise<Sink> {
  const o = optionsOf(PEERS_OPTIONS, options);
  const url = o['peers-url'];
  const path = o['peers-path'];
  if (!url === !path) throw new ConfigError('--to peers needs exactly one of --peers-url and --peers-path');
  return createPeersSink(
    {
      bucketSeconds: o['bucket-seconds'] ?? 600,
      horizon: o['peers-horizon'] ?? 1,
      ...(url ? { url } : {}),
      ...(path ? { path } : {}),
      timeoutMs: o['peers-timeout'] ?? 30000,
      proxies: proxyEnv(context.env),
    },
    deliverySettings(options),
    context,
  );
}

export async function createPeersSink(
  config: PeersConfig,
  settings: DeliverySettings,
  context: Pick<SinkContext, 'log'>,
): Promise<Sink> {
  const output = config.url
    ? new PostOutput(config.url, config.timeoutMs, settings, context, config.proxies)
    : await FileOutput.open(config.path!);
  return new PeersSink(new PeerAggregator(config.bucketSeconds, config.horizon), output);
}

interface BucketOutput {
  emit(bucket: PeerBucket): Promise<void>;
  finish(): Promise<SinkResult>;
  readonly delivery: Delivery;
}

/** POSTs `{"<ip>": <count>, …}` per bucket; `{bucket}` in the URL is the bucket's start. */
class PostOutput implements BucketOutput {
  readonly delivery: Delivery;
  private readonly client: HttpPoster;

  constructor(
    private readonly template: string,
    timeoutMs: number,
    settings: DeliverySettings,
    context: Pick<SinkContext, 'log'>,
    proxies: ProxyEnv | undefined,
  ) {
    this.delivery = new Delivery({
      name: 'peers',
      maxInFlight: settings.maxInFlight,
      retry: settings.retry,
      warn: context.log,
    });
    this.client = new UndiciClient(
      new URL(template.replaceAll('{bucket}', '0')),
      { 'user-agent': 'flowlens/0.1', 'content-type': 'application/json' },
      requestTimeoutMs(timeoutMs, settings.retry),
      settings.maxInFlight,
      {},
      undefined,
      proxies,
    );
  }

  async emit(bucket: PeerBucket): Promise<void> {
    const url = new URL(this.template.replaceAll('{bucket}', String(bucket.start)));
    const body = Buffer.from(JSON.stringify(bucket.counts), 'utf8');
    const client = this.client;
    await this.delivery.submit({
      records: bucket.records,
      bytes: body.byteLength,
      async send() {
        const res = await client.post(body, {}, url);
        if (res.status >= 200 && res.status < 300) return { delivered: bucket.records, rejected: 0 };
        throw httpFailure(res, `POST ${url.origin}${url.pathname}`);
      },
    });
  }

  async finish(): Promise<SinkResult> {
    await this.delivery.drain();
    this.client.close();
    return this.delivery.result();
  }
}

/** Appends `{"bucket": <start>, "peers": {"<ip>": <count>, …}}` lines to a file. */
class FileOutput implements BucketOutput {
  readonly delivery = new Delivery({ name: 'peers', maxInFlight: 1 });
  private failure: Error | undefined;

  private constructor(
    private readonly stream: WriteStream,
    private readonly path: string,
  ) {
    stream.on('error', (err) => {
      this.failure = err;
    });
  }

  static async open(path: string): Promise<FileOutput> {
    const stream = createWriteStream(path, { flags: 'a' });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err) =>
        reject(new ConfigError(`--peers-path: cannot open ${path}: ${err.message}`)),
      );
    });
    return new FileOutput(stream, path);
  }

  async emit(bucket: PeerBucket): Promise<void> {
    if (this.failure) {
      this.delivery.abandon(bucket.records);
      throw new Error(`peers: writing ${this.path}: ${this.failure.message}`);
    }
    const line = `${JSON.stringify({ bucket: bucket.start, peers: bucket.counts })}\n`;
    if (!this.stream.write(line)) await new Promise<void>((r) => this.stream.once('drain', () => r()));
    this.delivery.delivered += bucket.records;
    this.delivery.bytes += Buffer.byteLength(line);
  }

  async finish(): Promise<SinkResult> {
    await new Promise<void>((resolve) => this.stream.end(() => resolve()));
    if (this.failure) this.delivery.error(`peers: writing ${this.path}: ${this.failure.message}`);
    return this.delivery.result({ path: this.path });
  }
}

class PeersSink implements Sink {
  readonly name = 'peers';
  private buckets = 0;

  constructor(
    private readonly aggregator: PeerAggregator,
    private readonly output: BucketOutput,
  ) {}

  async write(batch: FlowBatch): Promise<void> {
    this.output.delivery.check();
    this.aggregator.add(batch);
    for (const bucket of this.aggregator.ready()) await this.emit(bucket);
  }

  /** Buckets still open are counted when they close: a checkpoint reports the buckets sent. */
  async checkpoint(): Promise<SinkCheckpoint> {
    const delivery = this.output.delivery;
    return { settled: delivery.settled().then(() => delivery.result()) };
  }

  async close(): Promise<SinkResult> {
    for (const bucket of this.aggregator.drain()) {
      try {
        await this.emit(bucket);
      } catch {
        // counted as failed by the output and reported in its result
      }
    }
    const result = await this.output.finish();
    return {
      ...result,
      details: {
        ...result.details,
        buckets: this.buckets,
        skipped: this.aggregator.skipped,
        late: this.aggregator.late,
      },
    };
  }

  private async emit(bucket: PeerBucket): Promise<void> {
    this.buckets++;
    await this.output.emit(bucket);
  }
}
