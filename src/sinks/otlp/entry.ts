import { registerSink } from '../registry.js';
import { OTLP_OPTIONS } from './options.js';

registerSink({
  name: 'otlp',
  summary: 'OpenTelemetry logs over OTLP/HTTP (protobuf or JSON) or OTLP/gRPC',
  options: OTLP_OPTIONS,
  load: () => import('./sink.js'),
});
