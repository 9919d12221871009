import type { FlowBatch, StrColumn } from '../../batch/flow-batch.js';
import { ConfigError, optionsOf, type ResolvedOptions } from '../../config/options.js';
import type { Sink } from '../../core/types.js';
import { DeliveryError, quote } from '../../delivery/errors.js';
import { type HttpPoster, httpFailure } from '../../delivery/http.js';
import { type DeliverySettings, deliverySettings, requestTimeoutMs } from '../../delivery/options.js';
import { type ProxyEnv, proxyEnv } from '../../delivery/proxy.js';
import { Delivery, type DeliveryRequest, type Outcome } from '../../delivery/queue.js';
import { UndiciClient } from '../../delivery/undici-client.js';
import { documentSchema } from '../../schema/index.js';
import { JsonBytes, utf8 } from '../../schema/json/bytes.js';
import { StrFragments } from '../../schema/json/cells.js';
import { textColumn } from '../../schema/json/columns.js';
import type { RowJson } from '../../schema/json/compile.js';
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

/** Bulk items back to back in one body: item k is `body[bounds[k], bounds[k + 1])`, action and source lines. */
interface Items {
  readonly body: Buffer;
  readonly bounds: readonly number[];
}

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
  /** The pending body, and where each of its items starts. */
  private readonly body = new JsonBytes(1 << 20);
  private starts: number[] = [];
  private row: RowJson | undefined;
  private action: ((out: JsonBytes, i: number) => void) | undefined;
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
    this.row = this.schema.compile(batch);
    const uid = textColumn(batch, 'record_uid');
    if (uid === undefined && !this.warnedNoUid) {
      this.warnedNoUid = true;
      this.warn('elasticsearch: no record_uid column, documents get generated ids (a re-run duplicates)');
    }
    this.action = actionLine(this.indexJson, uid);
  }

  protected add(_batch: FlowBatch, i: number): boolean {
    const body = this.body;
    this.starts.push(body.pos);
    this.action!(body, i);
    this.row!(body, i);
    body.byte(0x0a);
    return body.pos >= this.settings.maxRequestBytes;
  }

  protected details(): Record<string, number | string> {
    return {
      duplicates: this.duplicates,
      url: `${this.bulkUrl.origin}${this.bulkUrl.pathname}`,
      index: this.config.index,
    };
  }

  protected async flush(): Promise<void> {
    if (this.starts.length === 0) return;
    const items: Items = { body: this.body.copy(), bounds: [...this.starts, this.body.pos] };
    this.body.reset();
    this.starts = [];
    await this.delivery.submit(this.request(items));
  }

  private request(items: Items): DeliveryRequest {
    return {
      records: items.bounds.length - 1,
      bytes: items.body.byteLength,
      send: () => this.send(items),
    };
  }

  private async send(items: Items): Promise<Outcome> {
    const where = `POST ${this.bulkUrl.origin}${this.bulkUrl.pathname}`;
    const res = await this.client.post(items.body);
    const count = items.bounds.length - 1;
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
    if (!parsed.errors) return { delivered: count, rejected: 0 };
    const got = parsed.items ?? [];
    if (got.length !== count) {
      throw new DeliveryError(`${where}: _bulk answered ${got.length} items for ${count} sent`, false);
    }
    let delivered = 0;
    let rejected = 0;
    const retry: Buffer[] = [];
    let retryReason = '';
    for (let i = 0; i < count; i++) {
      const v = itemVerdict(got[i]);
      if (v.kind === 'delivered') {
        delivered++;
        if (v.duplicate) this.duplicates++;
      } else if (v.kind === 'retry') {
        retry.push(items.body.subarray(items.bounds[i], items.bounds[i + 1]));
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
        request: this.request(itemsOf(retry)),
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

/** Items to resend, as a body of their own. */
function itemsOf(parts: readonly Buffer[]): Items {
  const bounds = [0];
  for (const p of parts) bounds.push(bounds[bounds.length - 1]! + p.length);
  return { body: Buffer.concat(parts), bounds };
}

/** The `create` action line of row i: keyed by its record_uid where it has one. */
function actionLine(indexJson: string, uid: StrColumn | undefined): (out: JsonBytes, i: number) => void {
  const bare = utf8(`{"create":{"_index":${indexJson}}}\n`);
  const end = utf8('}}\n');
  if (uid === undefined) return (out) => out.frag(bare);
  const ids = new StrFragments(uid, utf8(`{"create":{"_index":${indexJson},"_id":`));
  const codes = uid.codes;
  return (out, i) => {
    const code = codes[i]!;
    if (code === 0) {
      out.frag(bare);
      return;
    }
    ids.write(out, code);
    out.frag(end);
  };
}
