import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { ConfigError, optionsOf, type ResolvedOptions } from '../config/options.js';
import type { SourceInput } from '../core/types.js';
import { SOURCE_OPTIONS } from './options.js';
import type { ResolveContext } from './resolve.js';
import { createS3Client, s3ErrorText } from './s3-client.js';
import { S3ObjectInput } from './s3-object.js';
import { dayPrefixes, keyInRange, type TimeRange, timeRange } from './s3-partitions.js';

export interface S3Location {
  readonly bucket: string;
  readonly prefix: string;
}

/** `s3://bucket/prefix` → bucket and prefix (the prefix may be empty). */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m?.[1]) throw new ConfigError(`${uri}: expected s3://bucket/prefix`);
  return { bucket: m[1], prefix: m[2] ?? '' };
}

/**
 * Lists `s3://bucket/prefix` (ListObjectsV2, page by page) and yields each object as a
 * streaming input. `--since`/`--until` prune by the date/hour partitions of the AWS key
 * layouts; up to `--s3-concurrency` objects have their GET sent ahead of the one being read.
 */
export async function* s3Inputs(
  uri: string,
  options: ResolvedOptions,
  context: ResolveContext,
): AsyncIterable<SourceInput> {
  const o = optionsOf(SOURCE_OPTIONS, options);
  const location = parseS3Uri(uri);
  const range = timeRange(options.since, options.until);
  const ahead = Math.max(0, (o['s3-concurrency'] ?? 4) - 1);
  const client = createS3Client({
    endpoint: o['endpoint-url'],
    region: o.region,
  });
  const readOptions = { retries: o['s3-retries'] ?? 5, log: context.log };
  const window: S3ObjectInput[] = [];
  try {
    const listed = listKeys(client, location, range)[Symbol.asyncIterator]();
    let exhausted = false;
    const fill = async (): Promise<void> => {
      while (!exhausted && window.length < ahead + 1) {
        const next = await listed.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        window.push(
          new S3ObjectInput(
            client,
            { bucket: location.bucket, keys: [next.value.key], size: next.value.size },
            readOptions,
          ),
        );
      }
    };
    let count = 0;
    for (;;) {
      await fill();
      const input = window.shift();
      if (!input) break;
      for (const queued of window) queued.prefetch();
      count++;
      yield input;
    }
    if (count === 0) context.log(`${uri}: no objects${(range.from ?? range.to) ? ' in the time range' : ''}`);
  } finally {
    for (const queued of window) queued.discard();
    client.destroy();
  }
}

export interface ListedKey {
  readonly key: string;
  readonly size: number | undefined;
}

/** Keys under the location within the range, page by page (`pageSize`: at most 1000, S3's cap). */
export async function* listKeys(
  client: S3Client,
  location: S3Location,
  range: TimeRange,
  pageSize?: number,
): AsyncIterable<ListedKey> {
  const prefixes = dayPrefixes(location.prefix, range) ?? [location.prefix];
  for (const prefix of prefixes) {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await client.send(
          new ListObjectsV2Command({
            Bucket: location.bucket,
            ...(prefix ? { Prefix: prefix } : {}),
            ...(token ? { ContinuationToken: token } : {}),
            ...(pageSize ? { MaxKeys: pageSize } : {}),
          }),
        );
      } catch (err) {
        throw new Error(`listing s3://${location.bucket}/${prefix}: ${s3ErrorText(err)}`);
      }
      for (const obj of page.Contents ?? []) {
        if (!obj.Key || obj.Key.endsWith('/')) continue;
        if (!keyInRange(obj.Key, range)) continue;
        yield { key: obj.Key, size: obj.Size };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
