import type { FlowBatch } from '../../batch/flow-batch.js';
import { ConfigError, optionsOf, type ResolvedOptions } from '../../config/options.js';
import type { Sink } from '../../core/types.js';
import { DeliveryError, quote } from '../../delivery/errors.js';
import { type HttpPoster, httpFailure } from '../../delivery/http.js';
import { type DeliverySettings, deliverySettings, requestTimeoutMs } from '../../delivery/options.js';
import { type ProxyEnv, proxyEnv } from '../../delivery/proxy.js';
import { Delivery, type DeliveryRequest, type Outcome } from '../../delivery/queue.js';
import { UndiciClient } from '../../delivery/undici-client.js';
import { documentSchema } from '../../schema/index.js';
import type { DocumentSchema } from '../../schema/types.js';
import { BufferedPostSink } from '../buffered-post-sink.js';
import type { SinkContext } from '../registry.js';
import { type BulkResponse, itemVerdict } from './bulk-response.js';
import { ES_OPTIONS } from './options.js';

export interface EsConfig {
  readonly url: URL;
  readonly index: string;
  readonly authorization?: string;
  readonly timeoutMs: number;
  /** HTTP(S)_PROXY and NO_PROXY (none when absent). */
  readonly proxies?: ProxyEnv;
}

export async function create(options: ResolvedOptions, context: SinkContext): Promise<Sink> {
  const o = optionsOf(ES_OPTIONS, options);
  const raw = o['es-url'];
  if (!raw) throw new ConfigError('--to elasticsearch needs --es-url (or FLOWLENS_ES_URL)');
  const user = o['es-user'];
  const password = o['es-password'];
  const apiKey = o['es-api-key'];
  if (apiKey && user) throw new ConfigError('--es-api-key and --es-user: give one way to authenticate');
  if (Boolean(user) !== Boolean(password)) throw new ConfigError('--es-user and --es-password go together');
  const authorization = apiKey
    ? `ApiKey ${apiKey}`
    : user
      ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
      : undefined;
  const index = o['es-index'] ?? 'flowlens-vpc-flow';
  if (!/^[^A-Z\\/*?"<>| ,#:]+$/.test(index) || index.startsWith('_') || index.startsWith('-')) {
    throw new ConfigError(
      `--es-index: "${index}" is not a valid index name (lowercase, no \\ / * ? " < > | , # : or space)`,
    );
  }
  return createEsSink(
    {
      url: new URL(raw),
      index,
      ...(authorization ? { authorization } : {}),
      timeoutMs: o['es-timeout'] ?? 60000,
      proxies: proxyEnv(context.env),
    },
    deliverySettings(options),
    context,
  );
}

export function createEsSink(
  config: EsConfig,
  settings: DeliverySettings,
  context: Pick<SinkContext, 'log'> & { warn?(message: string): void },
): Sink {
  return new EsSink(config, settings, documentSchema('ecs'), context.warn ?? context.log);
}

/** One bulk item: its action and source lines, ready to resend alone. */
type Item = string;

/**
 * Elasticsearch/OpenSearch `_bulk` with ECS documents. Each record is a `create` keyed by its
 * `record_uid`, so a retried or re-run delivery never duplicates: a 409 means already stored.
 * Items the cluster throttles (429) are resent alone with backoff; other item errors are
 * rejected and reported (counts and the first reasons).
 */
class EsSink extends BufferedPostSink {
  readonly name = 'elasticsearch';
  protected readonly delivery: Delivery;
  protected readonly client: HttpPoster;
  private readonly indexJson: string;
  private batchHasUid = false;
  private items: Item[] = [];
  private chars = 0;
  private duplicates = 0;
  private readonly bulkUrl: URL;
  private warnedNoUid = false;

  constructor(
    private readonly config: EsConfig,
    private readonly settings: DeliverySettings,
    private readonly schema: DocumentSchema,
    private readonly warn: (message: string) => void,
  ) {
    super();
    this.indexJson = JSON.stringify(config.index);
    this.delivery = new Delivery({
      name: 'elasticsearch',
      maxInFlight: settings.maxInFlight,
      retry: settings.retry,
      warn,
    });
    this.bulkUrl = new URL(config.url.href);
    this.bulkUrl.pathname = `${config.url.pathname.replace(/\/+$/, '')}/_bulk`;
    this.client = new UndiciClient(
      this.bulkUrl,
      {
        'user-agent': 'flowlens/0.1',
        'content-type': 'application/x-ndjson',
        ...(config.authorization ? { authorization: config.authorization } : {}),
      },
      requestTimeoutMs(config.timeoutMs, settings.retry),
      settings.maxInFlight,
      {},
      // A _bulk answer lists every item: allow far more than a request's worth of small items.
      64 * 1024 * 1024,
      config.proxies,
    );
  }

  protected override startBatch(batch: FlowBatch): void {
    this.batchHasUid = batch.has('record_uid');
    if (!this.batchHasUid && !this.warnedNoUid) {
      this.warnedNoUid = true;
      this.warn('elasticsearch: no record_uid column, documents get generated ids (a re-run duplicates)');
    }
  }

  protected add(batch: FlowBatch, i: number): boolean {
    const uid = this.batchHasUid ? batch.str('record_uid', i) : null;
    const action =
      uid !== null
        ? `{"create":{"_index":${this.indexJson},"_id":${JSON.stringify(uid)}}}`
        : `{"create":{"_index":${this.indexJson}}}`;
    const item = `${action}\n${JSON.stringify(this.schema.document(batch, i))}\n`;
    this.items.push(item);
    this.chars += item.length;
    return this.chars >= this.settings.maxRequestBytes;
  }

  protected details(): Record<string, number | string> {
    return {
      duplicates: this.duplicates,
      url: `${this.bulkUrl.origin}${this.bulkUrl.pathname}`,
      index: this.config.index,
    };
  }

  protected async flush(): Promise<void> {
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.chars = 0;
    await this.delivery.submit(this.request(items));
  }

  private request(items: readonly Item[]): DeliveryRequest {
    const body = utf8Concat(items);
    return {
      records: items.length,
      bytes: body.byteLength,
      send: () => this.send(body, items),
    };
  }

  private async send(body: Buffer, items: readonly Item[]): Promise<Outcome> {
    const where = `POST ${this.bulkUrl.origin}${this.bulkUrl.pathname}`;
    const res = await this.client.post(body);
    if (res.status < 200 || res.status >= 300) throw httpFailure(res, where, esErrorMessage);
    let parsed: BulkResponse;
    try {
      parsed = JSON.parse(res.body.toString('utf8')) as BulkResponse;
    } catch {
      throw new DeliveryError(
        `${where}: unreadable _bulk response: ${quote(res.body.toString('utf8'), 120)}`,
        false,
      );
    }
    if (!parsed.errors) return { delivered: items.length, rejected: 0 };
    const got = parsed.items ?? [];
    if (got.length !== items.length) {
      throw new DeliveryError(`${where}: _bulk answered ${got.length} items for ${items.length} sent`, false);
    }
    let delivered = 0;
    let rejected = 0;
    const retry: Item[] = [];
    let retryReason = '';
    for (let i = 0; i < items.length; i++) {
      const v = itemVerdict(got[i]);
      if (v.kind === 'delivered') {
        delivered++;
        if (v.duplicate) this.duplicates++;
      } else if (v.kind === 'retry') {
        retry.push(items[i]!);
        retryReason = v.reason;
      } else {
        rejected++;
        this.delivery.error(`elasticsearch: document rejected: ${quote(v.reason, 200)}`);
      }
    }
    if (retry.length === 0) return { delivered, rejected };
    return {
      delivered,
      rejected,
      remaining: {
        request: this.request(retry),
        error: new DeliveryError(
          `${where}: ${retry.length} items throttled: ${quote(retryReason, 200)}`,
          true,
        ),
      },
    };
  }
}

/** The reason of an Elasticsearch error body: `{"error":{"type","reason"},"status"}`. */
function esErrorMessage(res: { body: Buffer }): string {
  const text = res.body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { error?: { type?: string; reason?: string } | string };
    if (typeof parsed.error === 'string') return parsed.error;
    if (parsed.error?.reason) return `${parsed.error.type ?? 'error'}: ${parsed.error.reason}`;
  } catch {
    // not JSON
  }
  return text;
}

/**
 * The items' text as one UTF-8 body, each item encoded straight into it: joining the strings
 * first and encoding the joined text cost more than serializing the documents (the same
 * measurement as the http sink's JsonBatcher).
 */
function utf8Concat(items: readonly string[]): Buffer {
  let most = 0;
  for (const item of items) most += item.length * 3;
  const out = Buffer.allocUnsafe(most);
  let pos = 0;
  for (const item of items) pos += out.write(item, pos, 'utf8');
  return out.subarray(0, pos);
}
