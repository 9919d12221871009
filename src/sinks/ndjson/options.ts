import type { OptionSpec } from '../../config/options.js';

export const NDJSON_OPTIONS = [
  {
    name: 'ndjson-path',
    type: 'string',
    default: '-',
    description: 'ndjson sink: file to write (appends nothing: the file is replaced); - is stdout',
    placeholder: 'file',
  },
] as const satisfies readonly OptionSpec[];
