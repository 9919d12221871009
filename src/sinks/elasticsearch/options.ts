import type { OptionSpec } from '../../config/options.js';
import { DELIVERY_OPTIONS } from '../../delivery/options.js';

export const ES_OPTIONS = [
  {
    name: 'es-url',
    type: 'url',
    description: 'elasticsearch sink: Elasticsearch or OpenSearch base URL (the _bulk API is used)',
    placeholder: 'url',
  },
  {
    name: 'es-index',
    type: 'string',
    default: 'flowlens-vpc-flow',
    description: 'elasticsearch sink: index or data stream to write to',
    placeholder: 'name',
  },
  {
    name: 'es-user',
    type: 'string',
    description: 'elasticsearch sink: basic-auth user',
    placeholder: 'user',
  },
  {
    name: 'es-password',
    type: 'string',
    description: 'elasticsearch sink: basic-auth password (prefer FLOWLENS_ES_PASSWORD)',
    placeholder: 'password',
  },
  {
    name: 'es-api-key',
    type: 'string',
    description: 'elasticsearch sink: API key, the base64 "id:key" form (prefer FLOWLENS_ES_API_KEY)',
    placeholder: 'key',
  },
  {
    name: 'es-timeout',
    type: 'int',
    min: 0,
    default: 60000,
    description:
      'elasticsearch sink: time limit of one _bulk request in ms (0: only --retry-max-time bounds it)',
    placeholder: 'ms',
  },
  ...DELIVERY_OPTIONS,
] as const satisfies readonly OptionSpec[];
