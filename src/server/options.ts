import type { OptionSpec } from '../config/options.js';
import { DASHBOARD_TOKEN_OPTION } from '../dashboard/options.js';

/** Options of `flowlens serve` on top of the ingest options (sinks, schema, format…). */
export const SERVE_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'port',
    type: 'int',
    min: 0,
    max: 65535,
    default: 8080,
    env: ['FLOWLENS_PORT', 'PORT'],
    description: 'TCP port to listen on (0 picks a free one)',
    placeholder: 'port',
  },
  {
    name: 'host',
    type: 'string',
    default: '0.0.0.0',
    description: 'Address to listen on',
    placeholder: 'address',
  },
  {
    name: 'firehose-access-key',
    type: 'string',
    description: 'Access key Firehose must send in X-Amz-Firehose-Access-Key (unset: no key required)',
    placeholder: 'key',
  },
  {
    name: 'max-body',
    type: 'int',
    min: 1024,
    max: 1024 * 1024 * 1024,
    default: 64 * 1024 * 1024,
    description: 'Largest request body in bytes, before and after gzip decompression (413 above it)',
    placeholder: 'bytes',
  },
  {
    name: 'remember-requests',
    type: 'int',
    min: 0,
    max: 1_000_000,
    default: 10_000,
    description: 'Recent Firehose request ids remembered, so a retried request is not ingested twice',
    placeholder: 'n',
  },
  DASHBOARD_TOKEN_OPTION,
];
