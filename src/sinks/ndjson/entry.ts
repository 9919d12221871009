import { registerSink } from '../registry.js';
import { NDJSON_OPTIONS } from './options.js';

registerSink({
  name: 'ndjson',
  summary: 'Write one JSON document (--schema) per record to a file or stdout',
  options: NDJSON_OPTIONS,
  load: () => import('./sink.js'),
});
