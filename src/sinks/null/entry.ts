import { registerSink } from '../registry.js';

registerSink({
  name: 'null',
  summary: 'Discard every record (for benchmarks)',
  options: [],
  load: () => import('./sink.js'),
});
