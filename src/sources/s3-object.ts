import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { SourceRef } from '../batch/flow-batch.js';
import type { SourceInput } from '../core/types.js';
import { backoffDelay, DEFAULT_RETRY, sleep } from '../delivery/backoff.js';
import { isNoSuchKey, s3ErrorText } from './s3-client.js';

export interface S3ObjectSpec {
  readonly bucket: string;
  /** Keys to try in order until one exists (Lambda: the URL-decoded key, then the key as given). */
  readonly keys: readonly string[];
  readonly size?: number | undefined;
  /** Extra provenance for the batch source (e.g. the SQS message id). */
  readonly context?: Readonly<Record<string, string>> | undefined;
}

export interface S3ReadOptions {
  /** Ranged re-reads allowed after the stream fails midway. */
  readonly retries?: number;
  /** Ceiling of the first pause before a re-read (full jitter, doubling each time). */
  readonly backoffMs?: number;
  log?(message: string): void;
}

/** The read of an S3 object failed for good; `offset` is the byte where it stopped. */
export class S3ReadError extends Error {
  override name = 'S3ReadError';
  constructor(
    message: string,
    readonly offset: number,
    readonly missing = false,
  ) {
    super(message);
  }
}

/**
 * One S3 object as a SourceInput. The byte stream survives a connection that fails midway:
 * it re-requests the rest with `Range: bytes=N-` (pinned to the first response's ETag), so the
 * decoder sees one unbroken stream. `prefetch()` sends the GET early so the next object's
 * first bytes are on the way while the current one is decoded.
 */
export class S3ObjectInput implements SourceInput {
  ref: SourceRef;
  size?: number;
  private key: string;
  private etag: string | undefined;
  private pending: Promise<GetObjectCommandOutput> | undefined;

  constructor(
    private readonly client: S3Client,
    readonly spec: S3ObjectSpec,
    private readonly options: S3ReadOptions = {},
  ) {
    this.key = spec.keys[0]!;
    this.ref = refFor(spec.bucket, this.key, spec.context);
    if (spec.size !== undefined) this.size = spec.size;
  }

  get bucket(): string {
    return this.spec.bucket;
  }

  /** The key that was found (after a fallback, the key as given). */
  get resolvedKey(): string {
    return this.key;
  }

  /** Starts the first GET now; `open()` picks it up. Errors surface in `open()`. */
  prefetch(): void {
    if (this.pending) return;
    this.pending = this.firstGet();
    this.pending.catch(() => undefined);
  }

  /** Sends the first GET (if not yet) and waits for its headers, so `ref` names the key found. */
  async ready(): Promise<void> {
    this.prefetch();
    await this.pending?.catch(() => undefined);
  }

  /** Drops a prefetched response that will not be read. */
  discard(): void {
    const p = this.pending;
    this.pending = undefined;
    p?.then(
      (r) => destroyBody(r),
      () => undefined,
    );
  }

  async *open(offset = 0): AsyncIterable<Uint8Array> {
    const retries = this.options.retries ?? 5;
    let pos = offset;
    let failures = 0;
    let response: GetObjectCommandOutput;
    if (offset === 0 && this.pending) {
      response = await this.pending;
      this.pending = undefined;
    } else if (offset === 0 && !this.etag) {
      response = await this.firstGet();
    } else {
      response = await this.rangedGet(pos);
    }
    let end = expectedEnd(response, pos);
    try {
      for (;;) {
        try {
          const body = response.Body as AsyncIterable<Uint8Array> | undefined;
          if (body) {
            for await (const chunk of body) {
              pos += chunk.length;
              yield chunk;
            }
          }
          if (end === undefined || pos >= end) return;
          throw new Error(`stream ended at byte ${pos} of ${end}`);
        } catch (err) {
          destroyBody(response);
          if (err instanceof S3ReadError) throw err;
          failures++;
          if (failures > retries) {
            throw new S3ReadError(
              `${this.ref.id}: read failed at byte ${pos} after ${retries} re-reads: ${s3ErrorText(err)}`,
              pos,
            );
          }
          this.options.log?.(`${this.ref.id}: read failed at byte ${pos} (${s3ErrorText(err)}); resuming`);
          await sleep(this.rereadDelay(failures));
          if (end !== undefined && pos >= end) return;
          response = await this.rangedGet(pos);
          end = expectedEnd(response, pos) ?? end;
        }
      }
    } finally {
      // Also reached when the consumer stops early: release the connection.
      destroyBody(response);
    }
  }

  /** The pause before re-read number `failures`: the delivery stage's backoff with jitter. */
  private rereadDelay(failures: number): number {
    const first = this.options.backoffMs ?? 200;
    return backoffDelay(
      { ...DEFAULT_RETRY, initialDelayMs: first, maxDelayMs: Math.max(first, 10_000) },
      failures,
    );
  }

  /**
   * Bytes [start, end) with one ranged GET (Parquet footers and column chunks). A read that
   * fails midway asks again for the part still missing.
   */
  async readRange(start: number, end: number): Promise<Uint8Array> {
    if (end <= start) return new Uint8Array(0);
    if (!this.etag) destroyBody(await this.firstGet());
    const out = Buffer.allocUnsafe(end - start);
    let got = 0;
    let failures = 0;
    const retries = this.options.retries ?? 5;
    while (got < out.length) {
      try {
        const r = await this.client.send(
          new GetObjectCommand({
            Bucket: this.spec.bucket,
            Key: this.key,
            Range: `bytes=${start + got}-${end - 1}`,
            ...(this.etag ? { IfMatch: this.etag } : {}),
          }),
        );
        for await (const chunk of (r.Body as AsyncIterable<Uint8Array> | undefined) ?? []) {
          const n = Math.min(chunk.length, out.length - got);
          out.set(chunk.subarray(0, n), got);
          got += n;
        }
        if (got < out.length) throw new Error(`range ended at byte ${start + got} of ${end}`);
      } catch (err) {
        failures++;
        if (failures > retries) {
          throw new S3ReadError(
            `${this.ref.id}: ranged read of bytes ${start}-${end - 1}: ${s3ErrorText(err)}`,
            start + got,
          );
        }
        await sleep(this.rereadDelay(failures));
      }
    }
    return out;
  }

  /** GET of the whole object, trying each candidate key until one exists. */
  private async firstGet(): Promise<GetObjectCommandOutput> {
    let lastErr: unknown;
    for (const key of this.spec.keys) {
      try {
        const r = await this.client.send(new GetObjectCommand({ Bucket: this.spec.bucket, Key: key }));
        this.useKey(key, r);
        return r;
      } catch (err) {
        if (!isNoSuchKey(err))
          throw new S3ReadError(`${refFor(this.spec.bucket, key).id}: ${s3ErrorText(err)}`, 0);
        lastErr = err;
      }
    }
    const tried = this.spec.keys.map((k) => JSON.stringify(k)).join(' or ');
    throw new S3ReadError(
      `s3://${this.spec.bucket}: no object at key ${tried} (${s3ErrorText(lastErr)})`,
      0,
      true,
    );
  }

  private async rangedGet(pos: number): Promise<GetObjectCommandOutput> {
    if (!this.etag && pos > 0) {
      // Resolve the key (and ETag) first: a resume must read the same object version.
      destroyBody(await this.firstGet());
    }
    try {
      return await this.client.send(
        new GetObjectCommand({
          Bucket: this.spec.bucket,
          Key: this.key,
          ...(pos > 0 ? { Range: `bytes=${pos}-` } : {}),
          ...(this.etag ? { IfMatch: this.etag } : {}),
        }),
      );
    } catch (err) {
      throw new S3ReadError(`${this.ref.id}: ranged read from byte ${pos}: ${s3ErrorText(err)}`, pos);
    }
  }

  private useKey(key: string, r: GetObjectCommandOutput): void {
    this.key = key;
    this.etag = r.ETag;
    this.ref = refFor(this.spec.bucket, key, this.spec.context);
    // The object's own length wins over a notification's (which may describe an older version).
    if (r.ContentLength !== undefined && !r.ContentRange) this.size = r.ContentLength;
  }
}

export function refFor(bucket: string, key: string, context?: Readonly<Record<string, string>>): SourceRef {
  return { id: `s3://${bucket}/${key}`, context: { bucket, key, ...context } };
}

function expectedEnd(r: GetObjectCommandOutput, from: number): number | undefined {
  return r.ContentLength === undefined ? undefined : from + r.ContentLength;
}

function destroyBody(r: GetObjectCommandOutput): void {
  const body = r.Body as { destroy?: () => void } | undefined;
  body?.destroy?.();
}
