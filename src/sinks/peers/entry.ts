import { registerSink } from '../registry.js';
import { PEERS_OPTIONS } from './options.js';

registerSink({
  name: 'peers',
  summary: 'Distinct peers per IP address per time bucket, POSTed as JSON or written as NDJSON',
  options: PEERS_OPTIONS,
  load: () => import('./sink.js'),
});
