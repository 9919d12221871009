import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { FlowBatch } from '../../batch/flow-batch.js';
import { ConfigError, optionsOf, type ResolvedOptions } from '../../config/options.js';
import type { Sink } from '../../core/types.js';
import { type HttpPoster, httpFailure, parseHeaderList } from '../../delivery/http.js';
import { deliverySettings, requestTimeoutMs } from '../../delivery/options.js';
import { type ProxyEnv, proxyEnv } from '../../delivery/proxy.js';
import { Delivery } from '../../delivery/queue.js';
import { UndiciClient } from '../../delivery/undici-client.js';
import { PIPELINE_OPTIONS } from '../../pipeline/options.js';
import { documentSchema } from '../../schema/index.js';
import type { RowJson } from '../../schema/json/compile.js';
import { schemaOptionsFrom } from '../../schema/options.js';
import type { DocumentSchema } from '../../schema/types.js';
import { BufferedPostSink } from '../buffered-post-sink.js';
import { JsonBatcher } from '../json-batcher.js';
import type { SinkContext } from '../registry.js';
import { HTTP_OPTIONS } from './options.js';

const gzip = promisify(gzipCb);

export async function create(options: ResolvedOptions, context: SinkContext): Promise<Sink> {
  const o = optionsOf(HTTP_OPTIONS, options);
  const raw = o['http-url'] ?? o.url;
  if (!raw) throw new ConfigError('--to http needs --http-url (or FLOWLENS_HTTP_URL)');
  let headers: Record<string, string>;
  try {
    headers = {
      ...parseHeaderList(o.header, '--header'),
      ...parseHeaderList(o['http-header'], '--http-header'),
    };
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const schemaName = optionsOf(PIPELINE_OPTIONS, options).schema;
  return new HttpSink(
    proxyEnv(context.env),
    new URL(raw),
    headers,
    o['http-format'] ?? 'json',
    options['http-compression'] === 'gzip',
    o['http-timeout'] ?? 30000,
    documentSchema(schemaName, schemaOptionsFrom(options)),
    options,
    context,
  );
}

/** Documents of the chosen schema, POSTed in size-bounded bodies through the shared Delivery queue. */
export class HttpSink extends BufferedPostSink {
  readonly name = 'http';
  protected readonly delivery: Delivery;
  protected readonly client: HttpPoster;
  private readonly batcher: JsonBatcher;
  private readonly where: string;

  constructor(
    proxies: ProxyEnv,
    url: URL,
    headers: Record<string, string>,
    format: 'json' | 'ndjson',
    private readonly gzip: boolean,
    timeoutMs: number,
    private readonly schema: DocumentSchema,
    options: ResolvedOptions,
    context: Pick<SinkContext, 'log'>,
  ) {
    super();
    const settings = deliverySettings(options);
    this.where = `POST ${url.origin}${url.pathname}`;
    this.delivery = new Delivery({
      name: 'http',
      maxInFlight: settings.maxInFlight,
      retry: settings.retry,
      warn: context.log,
    });
    this.client = new UndiciClient(
      url,
      {
        'user-agent': 'flowlens/0.1',
        ...headers,
        'content-type': format === 'json' ? 'application/json' : 'application/x-ndjson',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      },
      requestTimeoutMs(timeoutMs, settings.retry),
      settings.maxInFlight,
      {},
      undefined,
      proxies,
    );
    this.batcher = new JsonBatcher(format, settings.maxRequestBytes);
  }

  private row: RowJson | undefined;

  protected override startBatch(batch: FlowBatch): void {
    this.row = this.schema.compile(batch);
  }

  protected add(_batch: FlowBatch, i: number): boolean {
    return this.batcher.add(this.row!, i);
  }

  protected details(): Record<string, string> {
    return { url: this.where.slice(5) };
  }

  protected async flush(): Promise<void> {
    if (this.batcher.records === 0) return;
    const { body: plain, records } = this.batcher.take();
    const body = this.gzip ? await gzip(plain) : plain;
    const client = this.client;
    const where = this.where;
    await this.delivery.submit({
      records,
      bytes: body.byteLength,
      async send() {
        const res = await client.post(body);
        if (res.status >= 200 && res.status < 300) return { delivered: records, rejected: 0 };
        throw httpFailure(res, where);
      },
    });
  }
}
