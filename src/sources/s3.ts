import type { ResolvedOptions } from '../config/options.js';
import type { SourceInput } from '../pipeline/types.js';
import type { ResolveContext } from './resolve.js';

/** PLACEHOLDER: the AWS stage lists and streams s3://bucket/prefix here. */
export async function* s3Inputs(
  uri: string,
  _options: ResolvedOptions,
  _context: ResolveContext,
): AsyncIterable<SourceInput> {
  throw new Error(`S3 input ${uri} is not supported yet`);
}
