import { registerSink } from '../registry.js';
import { LAKE_OPTIONS } from './options.js';

registerSink({
  name: 'lake',
  summary: 'Parquet files in year=/month=/day=/hour= partitions, locally or on S3 (--lake-dir)',
  options: LAKE_OPTIONS,
  load: () => import('./sink.js'),
});
