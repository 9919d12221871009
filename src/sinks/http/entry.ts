import { registerSink } from '../registry.js';
import { HTTP_OPTIONS } from './options.js';

registerSink({
  name: 'http',
  summary: 'POST documents (--schema) as a JSON array or NDJSON to any URL',
  options: HTTP_OPTIONS,
  load: () => import('./sink.js'),
});
