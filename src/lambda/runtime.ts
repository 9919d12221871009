import type { S3Client } from '@aws-sdk/client-s3';
import type { ResolvedOptions } from '../config/options.js';
import { optionsOf } from '../config/options.js';
import type { Enricher } from '../core/types.js';
import { buildEnrichers } from '../enrich/index.js';
import { type ParsedFormat, parseFormat } from '../fields/format.js';
import { sinkEntriesOf } from '../pipeline/build.js';
import { PIPELINE_OPTIONS } from '../pipeline/options.js';
import { SharedPipeline } from '../pipeline/shared.js';
import { SOURCE_OPTIONS } from '../sources/options.js';
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
  /**
   * The container's pipeline, built on first use and kept while the container is warm: its
   * sinks (connections, store) serve every invocation. Not built for Firehose transformation,
   * which sends nothing.
   */
  pipeline(): Promise<SharedPipeline>;
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
  sinkEntriesOf(options, 'FLOWLENS_SINKS');
  const write = overrides.log ?? ((line: string) => process.stdout.write(line + '\n'));
  const format = typeof options.format === 'string' ? parseFormat(options.format) : undefined;
  const sender = overrides.sendContinuation ?? continuationSender(options, env);
  const log = (line: Record<string, unknown>): void => write(JSON.stringify({ flowlens: 'lambda', ...line }));
  let pipeline: Promise<SharedPipeline> | undefined;
  const source = optionsOf(SOURCE_OPTIONS, options);
  return {
    options,
    env,
    enrichers: await buildEnrichers(options, { warn: (message) => log({ level: 'warn', message }) }),
    format,
    batchSize: optionsOf(PIPELINE_OPTIONS, options)['batch-size'],
    s3: createS3Client({
      endpoint: source['endpoint-url'],
      region: source.region,
    }),
    sendContinuation: sender,
    pipeline: () => {
      pipeline ??= SharedPipeline.open(options, {
        env,
        log: (message) => log({ level: 'info', message }),
      }).catch((err: unknown) => {
        pipeline = undefined; // the next invocation tries again
        throw err;
      });
      return pipeline;
    },
    log,
  };
}
