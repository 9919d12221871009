/**
 * Registers every sink. Each sink folder contributes one `registerSink` call here;
 * the import is light (options only), the sink itself loads on use.
 */
import './ndjson/entry.js';
import './null/entry.js';
