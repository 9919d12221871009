/**
 * Registers every sink. Each sink folder contributes one `registerSink` call here;
 * the import is light (options only), the sink itself loads on use.
 */
import './ndjson/entry.js';
import './null/entry.js';
import './store/entry.js';
import './lake/entry.js';
import './otlp/entry.js';
import './http/entry.js';
import './elasticsearch/entry.js';
import './peers/entry.js';
import './alerts/entry.js';
