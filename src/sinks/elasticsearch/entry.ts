import { registerSink } from '../registry.js';
import { ES_OPTIONS } from './options.js';

registerSink({
  name: 'elasticsearch',
  summary: 'Elasticsearch / OpenSearch _bulk with ECS documents, de-duplicated by record uid',
  options: ES_OPTIONS,
  load: () => import('./sink.js'),
});
