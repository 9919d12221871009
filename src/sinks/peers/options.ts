import type { OptionSpec } from '../../config/options.js';
import { DELIVERY_OPTIONS } from '../../delivery/options.js';

export const PEERS_OPTIONS = [
  {
    name: 'bucket-seconds',
    type: 'int',
    min: 1,
    max: 86400 * 31,
    default: 600,
    description: 'peers sink: length of a time bucket in seconds',
    placeholder: 'seconds',
  },
  {
    name: 'peers-url',
    type: 'url',
    description: 'peers sink: URL each bucket is POSTed to; {bucket} becomes its start (epoch seconds)',
    placeholder: 'url',
  },
  {
    name: 'peers-path',
    type: 'path',
    description: 'peers sink: NDJSON file to append one line per bucket to',
    placeholder: 'file',
  },
  {
    name: 'peers-horizon',
    type: 'int',
    min: 0,
    max: 1000,
    default: 1,
    description: 'peers sink: buckets kept open behind the newest one for late records, before flushing',
    placeholder: 'buckets',
  },
  {
    name: 'peers-timeout',
    type: 'int',
    min: 0,
    default: 30000,
    description: 'peers sink: time limit of one POST in ms (0: only --retry-max-time bounds it)',
    placeholder: 'ms',
  },
  ...DELIVERY_OPTIONS,
] as const satisfies readonly OptionSpec[];
