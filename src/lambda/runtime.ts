import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigError, type ResolvedOptions } from '../config/options.js';
import { buildEnrichers } from '../enrich/index.js';
import { type ParsedFormat, parseFormat } from '../fields/format.js';
import type { Enricher } from '../core/types.js';
import { findSink, sinkEntries } from '../sinks/registry.js';
import { createS3Client } from '../sources/s3-client.js';
import { resolveLambdaConfig } from './config.js';
import { type ContinuationSender, continuationSender } from './continuation.js';

/** Everything built once per cold start and shared by the invocations of one instance. */
export interface LambdaRuntime {
  readonly options: ResolvedOptions;
  readonly env: NodeJS.ProcessEnv;
  readonly enrichers: readonly Enricher[];
  readonly format: ParsedFormat | undefined;
  readonly batchSize: number;
  readonly s3: S3Client;
  readonly sendContinuation: ContinuationSender | undefined;
  log(line: Record<string, unknown>): void;
}

export interface RuntimeOverrides {
  /** Replaces the SQS / self-invoke sender (tests that run the continuation themselves). */
  readonly sendContinuation?: ContinuationSender;
  /** Where the JSON log lines go (default: stdout, which Lambda sends to CloudWatch Logs). */
  readonly log?: (line: string) => void;
}

/** Resolves and validates the configuration and builds the shared parts. Throws ConfigError. */
export async function createRuntime(
  env: NodeJS.ProcessEnv,
  overrides: RuntimeOverrides = {},
): Promise<LambdaRuntime> {
  const options = resolveLambdaConfig(env);
  for (const name of (options.to as string[] | undefined) ?? []) {
    if (!findSink(name)) {
      const known = sinkEntries()
        .map((e) => e.name)
        .join(', ');
      throw new ConfigError(`FLOWLENS_SINKS: unknown sink "${name}" (available: ${known})`);
    }
  }
  const write = overrides.log ?? ((line: string) => process.stdout.write(line + '\n'));
  const format = typeof options.format === 'string' ? parseFormat(options.format) : undefined;
  const sender = overrides.sendContinuation ?? continuationSender(options, env);
  const log = (line: Record<string, unknown>): void => write(JSON.stringify({ flowlens: 'lambda', ...line }));
  return {
    options,
    env,
    enrichers: await buildEnrichers(options, { warn: (message) => log({ level: 'warn', message }) }),
    format,
    batchSize: (options['batch-size'] as number | undefined) ?? 8192,
    s3: createS3Client({
      endpoint: options['endpoint-url'] as string | undefined,
      region: options.region as string | undefined,
    }),
    sendContinuation: sender,
    log,
  };
}
