import type { FlowBatch } from '../batch/flow-batch.js';
import type { DecodeOptions, SourceInput } from '../core/types.js';
import { damagedPayload, strictBase64 } from './damaged-payload.js';
import { DecodeError, MAX_JSON_BYTES, sampleOf } from './errors.js';
import { JsonSplitter } from './json.js';
import { decodeParquet } from './parquet.js';
import { PayloadDecoder } from './payload.js';
import { enriched, pump } from './pump.js';
import {
  asBuffers,
  firstContentByte,
  gunzipStream,
  hasBytes,
  isGzip,
  isParquet,
  peek,
  peekContent,
  withoutBom,
} from './stream.js';
import { DEFAULT_BATCH_SIZE, decodeTextStream } from './text-stream.js';

export { DEFAULT_BATCH_SIZE };

/**
 * The decoder of every input: the kind is read from the content, never from the name.
 * gzip (one or several members) is unwrapped first; then Parquet (`PAR1`), JSON documents
 * (CloudWatch Logs payloads, Firehose records and requests), base64 payloads, or text
 * records with or without a header line. With `options.enrich`, batches come out enriched
 * (text on decode threads is enriched there).
 */
export async function* decodeInput(input: SourceInput, options: DecodeOptions): AsyncIterable<FlowBatch> {
  const origin = input.ref.id;
  const stats = options.stats;
  const raw = asBuffers(input.open(), (n) => {
    stats.bytesIn += n;
  });
  const first = await peek(raw, hasBytes(4));
  if (isParquet(first.head)) {
    yield* enriched(decodeParquet(input, first.stream, options), options);
    return;
  }
  const plain = isGzip(first.head) ? gunzipStream(first.stream, origin) : first.stream;
  const content = await peekContent(withoutBom(plain));
  const at = firstContentByte(content.head);
  if (at < 0) return; // empty (or only whitespace): no records
  const c = content.head[at]!;
  if (c === 0x7b) {
    yield* enriched(decodeJsonStream(input, content.stream, options), options);
    return;
  }
  if (startsBase64Payload(content.head, at)) {
    yield* enriched(decodeBase64Stream(input, content.stream, options), options);
    return;
  }
  if (looksBinary(content.head)) {
    await content.close();
    throw new DecodeError(`${origin}: not flow logs: binary content that is neither gzip nor Parquet`, 0);
  }
  yield* decodeTextStream(input, content.stream, options);
}

/** A stream of JSON documents: one per line, or back to back. */
async function* decodeJsonStream(
  input: SourceInput,
  stream: AsyncIterable<Buffer>,
  options: DecodeOptions,
): AsyncGenerator<FlowBatch> {
  const origin = input.ref.id;
  const stats = options.stats;
  const payloads = filePayloads(input, options);
  const splitter = new JsonSplitter(origin, {
    document: (bytes, line) => {
      let doc: unknown;
      try {
        doc = JSON.parse(bytes.toString('utf8'));
      } catch (err) {
        const lost = damagedPayload(`invalid JSON: ${(err as Error).message}`, bytes);
        stats.addMalformed(
          { source: origin, line, message: lost.message, sample: sampleOf(bytes, 0, bytes.length) },
          lost.lost,
        );
        return;
      }
      try {
        payloads.document(doc, line);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        stats.addMalformed(
          { source: origin, line, message: err.message, sample: sampleOf(bytes, 0, 160) },
          err.lost,
        );
      }
    },
    junk: (line, sample) => {
      stats.addMalformed({ source: origin, line, message: 'text outside a JSON document', sample });
    },
    cut: (line, bytes) => {
      const lost = damagedPayload('JSON document cut off', bytes);
      stats.addMalformed(
        { source: origin, line, message: lost.message, sample: sampleOf(bytes, 0, bytes.length) },
        lost.lost,
      );
    },
  });
  yield* pump(stream, payloads, {
    feed: (chunk) => splitter.push(chunk),
    finish: () => {
      splitter.end();
      payloads.end();
    },
    abandon: () => payloads.end(),
  });
}

/** One base64 payload per line (CloudWatch payloads copied out of an event, say). */
async function* decodeBase64Stream(
  input: SourceInput,
  stream: AsyncIterable<Buffer>,
  options: DecodeOptions,
): AsyncGenerator<FlowBatch> {
  const origin = input.ref.id;
  const stats = options.stats;
  const payloads = filePayloads(input, options);
  let lineNo = 0;
  let carry: Buffer[] = [];
  let carrySize = 0;
  const onLine = (line: Buffer): void => {
    lineNo++;
    const text = line.toString('latin1').trim();
    if (text === '') return;
    try {
      payloads.bytes(strictBase64(text, `${origin}: line ${lineNo}`), lineNo);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      stats.addMalformed(
        { source: origin, line: lineNo, message: err.message, sample: text.slice(0, 160) },
        err.lost,
      );
    }
  };
  const feed = (chunk: Buffer): void => {
    let start = 0;
    let nl = chunk.indexOf(10);
    while (nl !== -1) {
      const part = chunk.subarray(start, nl);
      onLine(carrySize ? Buffer.concat([...carry, part]) : part);
      carry = [];
      carrySize = 0;
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      carry.push(Buffer.from(chunk.subarray(start)));
      carrySize += chunk.length - start;
      if (carrySize > MAX_JSON_BYTES * 2) {
        throw new DecodeError(`${origin}: line ${lineNo + 1} is longer than ${MAX_JSON_BYTES * 2} bytes`);
      }
    }
  };
  yield* pump(stream, payloads, {
    feed,
    finish: () => {
      if (carrySize) onLine(Buffer.concat(carry));
      payloads.end();
    },
    abandon: () => payloads.end(),
  });
}

/** A PayloadDecoder for JSON or base64 payloads read from a file or stream. */
function filePayloads(input: SourceInput, options: DecodeOptions): PayloadDecoder {
  return new PayloadDecoder({
    stats: options.stats,
    ...(options.format ? { format: options.format } : {}),
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    origin: input.ref.id,
    source: input.ref,
    fromFile: true,
  });
}

function startsBase64Payload(head: Buffer, at: number): boolean {
  if (head.length - at < 8) return false;
  const s = head.toString('latin1', at, at + 8);
  return (s.startsWith('H4sI') || s.startsWith('eyJ')) && /^[A-Za-z0-9+/=]{8}$/.test(s);
}

/**
 * Binary rather than text: in the first KiB, control bytes and bytes >= 0x80 make up more than
 * 30% (random bytes give about 60%; text with a few junk bytes stays far below).
 */
function looksBinary(head: Buffer): boolean {
  const n = Math.min(head.length, 1024);
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const c = head[i]!;
    if ((c < 32 && c !== 10 && c !== 13 && c !== 9) || c >= 127) odd++;
  }
  return n > 0 && odd * 10 > n * 3;
}
