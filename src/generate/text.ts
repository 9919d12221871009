import { headerLine } from '../fields/format.js';
import type { GeneratorRun } from './run.js';

/** Characters gathered before a chunk is encoded and handed on. */
const CHUNK_CHARS = 64 * 1024;

/**
 * S3-style text: an optional header line, then one record per line. Latin-1 encoding keeps
 * every record byte as is (records are ASCII; junk lines carry raw high bytes).
 */
export function* textChunks(run: GeneratorRun): Generator<Buffer> {
  const truth = run.truth;
  let text = '';
  if (run.settings.header) {
    text = headerLine(run.settings.fields) + '\n';
    truth.lines++;
  }
  while (run.nextRecord()) {
    text += run.currentLine() + '\n';
    truth.lines++;
    if (text.length >= CHUNK_CHARS) {
      yield Buffer.from(text, 'latin1');
      text = '';
    }
  }
  run.counter.finish();
  if (text.length > 0) yield Buffer.from(text, 'latin1');
}
