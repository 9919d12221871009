import { registerSink } from '../registry.js';
import { STORE_OPTIONS } from './options.js';

registerSink({
  name: 'store',
  summary: 'The embedded DuckDB store (table flows; --db)',
  options: STORE_OPTIONS,
  load: () => import('./sink.js'),
});
