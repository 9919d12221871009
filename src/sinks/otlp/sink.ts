import type { EncodedRecords, FlowBatch } from '../../batch/flow-batch.js';
import type { ResolvedOptions } from '../../config/options.js';
import type { LineTranscoder, Sink, SinkCheckpoint, SinkResult } from '../../core/types.js';
import { type DeliverySettings, deliverySettings, requestTimeoutMs } from '../../delivery/options.js';
import { Delivery } from '../../delivery/queue.js';
import { schemaOptionsFrom } from '../../schema/options.js';
import { hasPlanner, type OtelMapping, type SchemaOptions } from '../../schema/types.js';
import type { SinkContext } from '../registry.js';
import { type OtlpConfig, resolveOtlpConfig } from './config.js';
import { type RequestEncoder, resourceAttributes, type ScopeInfo } from './encoder.js';
import { JsonRequestEncoder } from './json-encoder.js';
import { LOG_RECORDS, OtlpLineTranscoder } from './line-transcoder.js';
import { loadOtelMapping } from './mapping.js';
import { ProtoRequestEncoder } from './proto-encoder.js';
import type { OtlpTransport } from './transport.js';

export const SCOPE: ScopeInfo = { name: 'flowlens', version: '0.1.0' };

export async function create(options: ResolvedOptions, context: SinkContext): Promise<Sink> {
  const config = resolveOtlpConfig(options, context.env, (m) => context.stats.warn(m));
  // Encoding happens on the main thread: a pool of encoding threads (measured with one thread,
  // 200k records, alternated runs on 2 cores) took 2.6× the CPU per record and half the rate.
  return createOtlpSink(
    config,
    deliverySettings(options),
    loadOtelMapping(options),
    context,
    schemaOptionsFrom(options),
  );
}

/**
 * The OTLP sink from resolved parts (tests and benchmarks build it directly). `schema`: the
 * options `mapping` was built with; given, the sink can transcode text lines (`lineTranscoder`).
 */
export async function createOtlpSink(
  config: OtlpConfig,
  settings: DeliverySettings,
  mapping: OtelMapping,
  context: Pick<SinkContext, 'log'> & { warn?(message: string): void },
  schema?: SchemaOptions,
): Promise<Sink> {
  const bounded = { ...config, timeoutMs: requestTimeoutMs(config.timeoutMs, settings.retry) };
  const transport: OtlpTransport =
    config.protocol === 'grpc'
      ? new (await import('./transport-grpc.js')).GrpcTransport(bounded)
      : new (await import('./transport-http.js')).HttpTransport(bounded, settings.maxInFlight);
  return new OtlpSink(config, settings, mapping, transport, context.warn ?? context.log, schema);
}

/** Bytes of transcoded records per batch: one batch fills most of a request, with room for its groups. */
export function transcodedRunBytes(maxRequestBytes: number): number {
  return maxRequestBytes > 64 * 1024 ? maxRequestBytes - 16 * 1024 : Math.max(1, maxRequestBytes >> 1);
}

/**
 * Encodes batches into size-bounded export requests, records grouped into one ResourceLogs per
 * (account, region) — the mapping's resource key — and hands them to the shared Delivery queue.
 * Request buffers come from a pool of maxInFlight + 1, so memory stays bounded.
 */
export class OtlpSink implements Sink {
  readonly name = 'otlp';
  /** The default body is the original line: one copy per record when the decoder kept it. */
  readonly wantsLineText = true;
  private readonly delivery: Delivery;
  private readonly encoder: RequestEncoder;
  private readonly pool: Buffer[] = [];
  private open = false;
  private records = 0;
  private readonly limit: number;
  /** gzip over HTTP: requests are compressed on the thread pool while the next one is encoded. */
  private readonly pipelined: boolean;
  /** The request compressed (and then submitted) while the encoder goes on, if any. */
  private pending: Promise<void> | null = null;

  constructor(
    private readonly config: OtlpConfig,
    settings: DeliverySettings,
    private readonly mapping: OtelMapping,
    private readonly transport: OtlpTransport,
    warn: (message: string) => void,
    /** The mapping's options, when records may come transcoded from text lines. */
    private readonly schema?: SchemaOptions,
  ) {
    this.limit = settings.maxRequestBytes;
    this.pipelined = config.gzip && config.protocol !== 'grpc';
    this.delivery = new Delivery({
      name: 'otlp',
      maxInFlight: settings.maxInFlight,
      retry: settings.retry,
      warn,
    });
    const capacity = this.limit + 64 * 1024;
    this.encoder =
      config.protocol === 'http/json'
        ? new JsonRequestEncoder(mapping, SCOPE, 1024)
        : new ProtoRequestEncoder(mapping, SCOPE, 1024);
    for (let i = 0; i <= settings.maxInFlight; i++) this.pool.push(this.allocate(capacity));
  }

  /** Text lines straight to LogRecords (protobuf only), for a run where this sink alone reads the batches. */
  lineTranscoder(): LineTranscoder | null {
    if (this.schema === undefined || this.config.protocol === 'http/json') return null;
    return OtlpLineTranscoder.acquire({ schema: this.schema, runBytes: transcodedRunBytes(this.limit) });
  }

  async write(batch: FlowBatch): Promise<void> {
    if (this.delivery.fatal) {
      this.delivery.abandon(batch.length);
      this.delivery.check();
    }
    if (batch.encoded?.format === LOG_RECORDS) {
      await this.writeEncoded(batch, batch.encoded);
      return;
    }
    const groups = groupRows(this.mapping, batch);
    let done = 0;
    for (let g = 0; g < groups.keys.length; g++) {
      const key = groups.keys[g]!;
      const rows = groups.rows.subarray(groups.starts[g]!, groups.starts[g + 1]!);
      if (!this.open) this.begin();
      const attrs = () => resourceAttributes(this.mapping, batch, rows[0]!, this.config.resource);
      this.encoder.openResource(key, attrs);
      const encoder = this.encoder;
      let r = 0;
      while (r < rows.length) {
        let next: number;
        if (encoder.records) next = encoder.records(batch, rows, r, this.limit);
        else {
          encoder.record(batch, rows[r]!);
          next = r + 1;
        }
        this.records += next - r;
        done += next - r;
        r = next;
        if (encoder.size >= this.limit) {
          encoder.closeResource();
          await this.flushOrAbandon(batch.length - done);
          if (r < rows.length) {
            this.begin();
            encoder.openResource(key, attrs);
          }
        }
      }
      if (this.open) this.encoder.closeResource();
    }
  }

  /** Transcoded records, a part per resource: each into the open request when it fits, else into the next. */
  private async writeEncoded(batch: FlowBatch, records: EncodedRecords): Promise<void> {
    const encoder = this.encoder;
    const rows = records.rows;
    let row = 0;
    for (let part = 0; part < rows.length; part++) {
      const n = rows[part]!;
      const first = row;
      const key = this.mapping.resourceKey(batch, first);
      const attributes = () => resourceAttributes(this.mapping, batch, first, this.config.resource);
      if (!this.open) this.begin();
      encoder.openResource(key, attributes);
      if (this.records > 0 && encoder.size + records.parts[part]!.length > this.limit) {
        // with its group's framing they do not fit: the request goes as it is (the empty group dropped)
        encoder.closeResource();
        await this.flushOrAbandon(batch.length - first);
        this.begin();
        encoder.openResource(key, attributes);
      }
      // parts read after the wait: the transcoder may have copied them out of its memory meanwhile
      encoder.appendRecords!(records.parts[part]!, n);
      encoder.closeResource();
      this.records += n;
      row += n;
      if (encoder.size >= this.limit && part < rows.length - 1) await this.flushOrAbandon(batch.length - row);
    }
    records.release?.();
    if (encoder.size >= this.limit) await this.flush();
  }

  /** Sends the open request; when the sink has failed for good, the batch's `unsent` records count as failed. */
  private async flushOrAbandon(unsent: number): Promise<void> {
    try {
      await this.flush();
    } catch (err) {
      this.delivery.abandon(unsent);
      throw err;
    }
  }

  /** A finished input goes out now rather than waiting for the next one to fill the request. */
  async endInput(): Promise<void> {
    if (this.open) await this.flush();
    await this.settle();
  }

  async checkpoint(): Promise<SinkCheckpoint> {
    if (this.open) await this.flush();
    await this.settle();
    return { settled: this.delivery.settled().then(() => this.delivery.result(this.details())) };
  }

  /** One export of no records, outside the delivery queue (no retry): the backend's answer. */
  async probe(): Promise<void> {
    const empty = this.config.protocol === 'http/json' ? Buffer.from('{}') : new Uint8Array(0);
    await this.transport.send(await this.transport.prepare(empty), 0);
  }

  async close(): Promise<SinkResult> {
    try {
      if (this.open) await this.flush();
      await this.settle();
    } catch {
      // counted and reported by the delivery queue
    }
    await this.delivery.drain();
    this.transport.close();
    return this.delivery.result(this.details());
  }

  private details(): Record<string, string> {
    const path = this.config.protocol === 'grpc' ? '' : this.config.url.pathname;
    return { protocol: this.config.protocol, endpoint: `${this.config.url.origin}${path}` };
  }

  private allocate(size: number): Buffer {
    return Buffer.allocUnsafe(size);
  }

  private begin(): void {
    const buffer = this.pool.pop() ?? this.allocate(this.limit + 64 * 1024);
    this.encoder.begin(Date.now() / 1000, buffer);
    this.open = true;
    this.records = 0;
  }

  private async flush(): Promise<void> {
    const { body, buffer } = this.encoder.finish();
    const records = this.records;
    this.open = false;
    this.records = 0;
    if (records === 0) {
      this.pool.push(buffer);
      return;
    }
    let released = false;
    const release = (): void => {
      if (!released) {
        released = true;
        this.pool.push(buffer);
      }
    };
    const prepared = this.transport.prepare(body);
    prepared.catch(() => undefined); // a failure is handled in submit, maybe after a wait
    if (!this.pipelined) {
      await this.submit(prepared, body, records, release);
      return;
    }
    // This request compresses while the encoder fills the next; the previous one is submitted
    // first (order kept) and waited for, so at most two requests are being compressed.
    const previous = this.pending;
    const current = (previous ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.submit(prepared, body, records, release));
    current.catch(() => undefined); // awaited by the next flush or by settle
    this.pending = current;
    if (previous) await previous;
  }

  /** Waits for the request still being compressed and submitted. */
  private async settle(): Promise<void> {
    const pending = this.pending;
    this.pending = null;
    if (pending) await pending;
  }

  /** Hands a prepared (maybe compressing) request to the delivery queue. */
  private async submit(
    prepared: Promise<Uint8Array>,
    body: Uint8Array,
    records: number,
    release: () => void,
  ): Promise<void> {
    let payload: Uint8Array;
    try {
      payload = await prepared;
    } catch (err) {
      release();
      this.delivery.abandon(records);
      this.delivery.error(`otlp: cannot prepare request: ${(err as Error).message}`);
      return;
    }
    if (payload !== body) release();
    const transport = this.transport;
    await this.delivery.submit({
      records,
      bytes: payload.byteLength,
      send: () => transport.send(payload, records),
      release,
    });
  }
}

/** Row indices of a batch grouped by resource key, groups in first-seen order: group g is rows[starts[g] … starts[g+1]). */
interface RowGroups {
  readonly keys: readonly string[];
  readonly starts: Int32Array;
  readonly rows: Int32Array;
}

function groupRows(mapping: OtelMapping, batch: FlowBatch): RowGroups {
  const n = batch.length;
  const groupOf = new Int32Array(n);
  const keys: string[] = [];
  const columns = hasPlanner(mapping) ? (mapping.plan(batch)?.resourceColumns ?? null) : null;
  if (columns !== null) {
    // Equal codes in the resource columns mean equal keys: one key string per distinct tuple.
    const byTuple = new Map<number, number>();
    let radix = 1;
    for (const c of columns) radix *= c.dict.length;
    const exact = radix <= 2 ** 52;
    const codes = columns.map((c) => c.codes);
    const sizes = columns.map((c) => c.dict.length);
    const m = columns.length;
    let lastTuple = -1;
    let lastGroup = -1;
    for (let i = 0; i < n; i++) {
      let tuple = 0;
      for (let c = 0; c < m; c++) tuple = tuple * sizes[c]! + codes[c]![i]!;
      if (!exact) tuple = -1;
      if (tuple !== lastTuple || tuple < 0) {
        let g = tuple < 0 ? undefined : byTuple.get(tuple);
        if (g === undefined) {
          const key = mapping.resourceKey(batch, i);
          g = keys.indexOf(key);
          if (g < 0) g = keys.push(key) - 1;
          if (tuple >= 0) byTuple.set(tuple, g);
        }
        lastTuple = tuple;
        lastGroup = g;
      }
      groupOf[i] = lastGroup;
    }
  } else {
    const byKey = new Map<string, number>();
    let lastKey = '';
    let lastGroup = -1;
    for (let i = 0; i < n; i++) {
      const key = mapping.resourceKey(batch, i);
      if (lastGroup < 0 || key !== lastKey) {
        let g = byKey.get(key);
        if (g === undefined) {
          g = keys.push(key) - 1;
          byKey.set(key, g);
        }
        lastKey = key;
        lastGroup = g;
      }
      groupOf[i] = lastGroup;
    }
  }
  // counting sort of the rows by group, stable (rows keep their order within a group)
  const starts = new Int32Array(keys.length + 1);
  for (let i = 0; i < n; i++) starts[groupOf[i]! + 1]!++;
  for (let g = 0; g < keys.length; g++) starts[g + 1]! += starts[g]!;
  const next = starts.slice(0, keys.length);
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[next[groupOf[i]!]!++] = i;
  return { keys, starts, rows };
}
