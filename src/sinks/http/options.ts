import type { OptionSpec } from '../../config/options.js';
import { DELIVERY_OPTIONS } from '../../delivery/options.js';

export const HTTP_OPTIONS = [
  { name: 'http-url', type: 'url', description: 'http sink: URL to POST records to', placeholder: 'url' },
  { name: 'url', type: 'url', description: 'http sink: same as --http-url', placeholder: 'url' },
  {
    name: 'http-header',
    type: 'string',
    multiple: true,
    description: 'http sink: request header key=value',
    placeholder: 'k=v',
  },
  {
    name: 'header',
    type: 'string',
    multiple: true,
    env: ['FLOWLENS_HTTP_HEADERS'],
    description: 'http sink: same as --http-header',
    placeholder: 'k=v',
  },
  {
    name: 'http-format',
    type: 'enum',
    choices: ['json', 'ndjson'],
    default: 'json',
    description: 'http sink: body is a JSON array of documents, or one document per line',
  },
  {
    name: 'http-compression',
    type: 'enum',
    choices: ['gzip', 'none'],
    default: 'none',
    description: 'http sink: request compression',
  },
  {
    name: 'http-timeout',
    type: 'int',
    min: 0,
    default: 30000,
    description: 'http sink: time limit of one request in ms (0: only --retry-max-time bounds it)',
    placeholder: 'ms',
  },
  ...DELIVERY_OPTIONS,
] as const satisfies readonly OptionSpec[];
