import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

export interface S3ClientSettings {
  /** S3-compatible endpoint; switches to path-style addressing. */
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
}

/**
 * An S3 client on the SDK's standard credential and region chain. With an explicit endpoint
 * (`--endpoint-url`, AWS_ENDPOINT_URL_S3) buckets are addressed path-style, which every
 * S3-compatible store understands; the SDK's own retries stay on for requests.
 */
export function createS3Client(settings: S3ClientSettings = {}): S3Client {
  // flowlens supports Node 20 (package engines); the SDK's notice about its own future
  // requirement would otherwise land in every run's stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const config: S3ClientConfig = {};
  if (settings.endpoint) {
    config.endpoint = settings.endpoint;
    config.forcePathStyle = true;
  }
  const region = settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  // The SDK throws "Region is missing" without one; S3 accepts us-east-1 for any bucket lookup.
  config.region = region ?? 'us-east-1';
  if (!region && !settings.endpoint) config.followRegionRedirects = true;
  return new S3Client(config);
}

/** True for the errors S3 gives for a key that does not exist. */
export function isNoSuchKey(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.Code === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

/** One line for an S3 error: the service's code and message, never a stack. */
export function s3ErrorText(err: unknown): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name && e.name !== 'Error' ? `${e.name}: ` : '';
  return `${name}${e?.message ?? String(err)}${status ? ` (HTTP ${status})` : ''}`;
}
