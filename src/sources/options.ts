import type { OptionSpec, ResolvedOptions } from '../config/options.js';
import { timeRange } from './s3-partitions.js';

/** Options of the input side (S3 listing, time pruning). Owned by the sources stage. */
export const SOURCE_OPTIONS = [
  {
    name: 'endpoint-url',
    type: 'url',
    env: ['FLOWLENS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'],
    description: 'S3-compatible endpoint (MinIO, LocalStack…); path-style addressing is used with it',
    placeholder: 'url',
  },
  {
    name: 'region',
    type: 'string',
    env: ['FLOWLENS_REGION', 'AWS_REGION', 'AWS_DEFAULT_REGION'],
    description: 'AWS region for S3 (default: the SDK region chain, else us-east-1)',
    placeholder: 'region',
  },
  {
    name: 'since',
    type: 'string',
    description: 'Only S3 objects whose date/hour partition is at or after this ISO date/time (UTC)',
    placeholder: 'iso-time',
  },
  {
    name: 'until',
    type: 'string',
    description: 'Only S3 objects whose date/hour partition is before this ISO date/time (UTC)',
    placeholder: 'iso-time',
  },
  {
    name: 's3-concurrency',
    type: 'int',
    min: 1,
    max: 64,
    default: 4,
    description: 'S3 objects in flight at once: the one being decoded and those requested ahead of it',
    placeholder: 'n',
  },
  {
    name: 's3-retries',
    type: 'int',
    min: 0,
    max: 20,
    default: 5,
    description: 'Ranged re-reads of one S3 object after its stream fails midway',
    placeholder: 'n',
  },
] as const satisfies readonly OptionSpec[];

/** Checks what the specs cannot (the --since/--until dates); throws a ConfigError naming the flag. */
export function validateSourceOptions(options: ResolvedOptions): void {
  timeRange(options.since, options.until);
}
