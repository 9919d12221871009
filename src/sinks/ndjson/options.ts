import type { OptionSpec } from '../../config/options.js';

export const NDJSON_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'ndjson-path',
    type: 'string',
    default: '-',
    description: 'ndjson sink: file to write (appends nothing: the file is replaced); - is stdout',
    placeholder: 'file',
  },
];
