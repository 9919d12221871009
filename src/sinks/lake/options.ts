import type { OptionSpec } from '../../config/options.js';

export const LAKE_OPTIONS = [
  {
    name: 'lake-dir',
    type: 'string',
    description: 'Lake root for --to lake: a directory or s3://bucket/prefix',
    placeholder: 'dir|s3://bucket/prefix',
  },
  {
    name: 'lake-partition-time',
    type: 'enum',
    choices: ['end', 'start'],
    default: 'end',
    description: 'Record time that picks the year=/month=/day=/hour= partition (UTC)',
  },
  {
    name: 'lake-file-records',
    type: 'int',
    min: 1000,
    max: 50_000_000,
    default: 1_000_000,
    description: 'Records buffered before the lake writes a set of Parquet files (one per partition)',
    placeholder: 'n',
  },
] as const satisfies readonly OptionSpec[];
