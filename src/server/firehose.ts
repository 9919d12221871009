import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SourceInput } from '../core/types.js';
import { firehoseRecordContent } from '../decode/firehose-record.js';
import { decodeBase64Into, payloadInput } from '../decode/payload-input.js';
import type { Receipt, SharedPipeline } from '../pipeline/shared.js';
import { BodyError, discardBody, readBody } from './body.js';
import { BodyLease, type ByteBudget } from './budget.js';
import type { Logger } from './log.js';
import type { ServiceMetrics } from './metrics.js';
import { RecentRequests } from './request-ids.js';

export interface FirehoseEndpointConfig {
  readonly pipeline: SharedPipeline;
  readonly accessKey: string | undefined;
  readonly maxBody: number;
  /** Bytes of request bodies held at once across requests (503 past it). */
  readonly bodyBudget: ByteBudget;
  /** Requests being read or delivered at once (503 past it). */
  readonly maxRequests: number;
  readonly rememberRequests: number;
  readonly log: Logger;
  readonly metrics: ServiceMetrics;
}

interface Outcome {
  readonly status: number;
  readonly errorMessage?: string;
}

/** Seconds a client is asked to wait when the server is full. */
const RETRY_AFTER_SECONDS = 1;

/**
 * `POST /firehose`: the Firehose HTTP endpoint delivery protocol v1.0 (spec sheet D.2).
 * Every record is validated before anything is ingested, so a 400 leaves nothing behind;
 * 200 is sent only once every sink acknowledged the request's records (its receipt); a
 * retried request (same id, same body) is answered without ingesting it again. Requests run
 * concurrently through the shared pipeline, up to `maxRequests` and the body budget; past
 * either, 503 with Retry-After.
 */
export function firehoseEndpoint(config: FirehoseEndpointConfig) {
  const recent = new RecentRequests<Outcome>(config.rememberRequests);
  const expectedKey = config.accessKey ? digest(config.accessKey) : undefined;
  let active = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    let requestId = header(req, 'x-amz-firehose-request-id') ?? '';
    const reply = (status: number, errorMessage?: string): number => {
      respond(res, status, {
        requestId,
        timestamp: Date.now(),
        ...(errorMessage ? { errorMessage: errorMessage.slice(0, 8192) } : {}),
      });
      return status;
    };
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return reply(405, 'only POST is accepted');
    }
    if (expectedKey) {
      const given = header(req, 'x-amz-firehose-access-key');
      if (given === undefined || !timingSafeEqual(digest(given), expectedKey)) {
        discardBody(req, config.maxBody);
        return reply(401, given === undefined ? 'missing X-Amz-Firehose-Access-Key' : 'wrong access key');
      }
    }
    const version = header(req, 'x-amz-firehose-protocol-version');
    if (version !== undefined && version !== '1.0')
      return reply(400, `unsupported protocol version ${version}`);
    if (active >= config.maxRequests) {
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      discardBody(req, config.maxBody);
      return reply(503, `the server is delivering ${active} requests, its limit; retry later`);
    }
    active++;
    const lease = new BodyLease(config.bodyBudget);
    try {
      let body: Buffer | undefined;
      try {
        body = await readBody(req, config.maxBody, lease);
      } catch (err) {
        const status = err instanceof BodyError ? err.status : 400;
        if (status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
        return reply(status, (err as Error).message);
      }
      // The body's bytes may go as soon as they are text, before that text is parsed: a large
      // request is then held about twice (text, then its records) rather than four times.
      const text = body.toString('utf8');
      body = undefined;
      const parsed = parseRequest(text);
      if ('error' in parsed) {
        if (parsed.requestId) requestId = parsed.requestId;
        return reply(400, parsed.error);
      }
      requestId = parsed.requestId;
      // A retry is the same id with the same records; a reused id with other records is new work.
      const key = `${requestId}\u0000${parsed.recordsDigest}`;
      const known = recent.outcome(key);
      if (known) {
        config.metrics.repeatedRequests.inc();
        config.log.info('firehose request repeated, answered from its first delivery', { requestId });
        return reply(known.status, known.errorMessage);
      }
      const running = recent.running(key);
      const outcome = running
        ? await running
        : await recent.run(
            key,
            () => ingest(config, parsed.requestId, parsed.inputs),
            // Sink failures (5xx) are worth a real retry; anything else gets the same answer again.
            (o) => o.status < 500,
          );
      return reply(outcome.status, outcome.errorMessage);
    } finally {
      active--;
      lease.release();
    }
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const stop = config.metrics.requestSeconds.startTimer();
    const status = await handle(req, res);
    stop({ status: String(status) });
    config.metrics.firehoseRequests.inc({ status: String(status) });
  };
}

interface ParsedRequest {
  readonly requestId: string;
  readonly inputs: SourceInput[];
  /** SHA-256 of the records' data (not of the body: a retry may carry another timestamp). */
  readonly recordsDigest: string;
}

/** Validates the body and every record; groups flow-log lines into one text input. */
function parseRequest(body: string): ParsedRequest | { error: string; requestId?: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return { error: `malformed JSON body: ${(err as Error).message}` };
  }
  const obj = json as { requestId?: unknown; records?: unknown };
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return { error: 'body is not a JSON object' };
  if (typeof obj.requestId !== 'string' || obj.requestId === '') return { error: 'requestId is missing' };
  const requestId = obj.requestId;
  const bad = (error: string) => ({ error, requestId });
  if (!Array.isArray(obj.records)) return bad('records is missing or not a list');
  if (obj.records.length > 10_000) return bad(`${obj.records.length} records exceed the limit of 10000`);
  const records: readonly unknown[] = obj.records;
  let chars = 0;
  for (const [i, r] of records.entries()) {
    const data = (r as { data?: unknown } | null)?.data;
    if (typeof data !== 'string') return bad(`records[${i}]: data is missing or not a string`);
    chars += data.length;
  }
  // Every record is decoded into one buffer, and its flow-log lines are kept there, back to back:
  // the request's one input. Per-record buffers, line strings and their join cost more memory
  // than the body itself, and a 64 MiB request peaked at several times its size.
  const out = Buffer.allocUnsafe(Math.ceil(chars / 4) * 3 + records.length);
  let end = 0;
  const inputs: SourceInput[] = [];
  // the records' digest, not the body's: a retry may carry another timestamp
  const hash = createHash('sha256');
  for (const [i, r] of records.entries()) {
    const n = decodeBase64Into((r as { data: string }).data, out, end);
    if (n < 0) return bad(`records[${i}]: data is not valid base64`);
    const bytes = out.subarray(end, end + n);
    hash.update(bytes).update(RECORD_SEPARATOR);
    const content = firehoseRecordContent(bytes);
    if (content.kind === 'invalid') return bad(`records[${i}]: ${content.error}`);
    if (content.kind === 'lines') {
      // Bare lines are a view of `bytes`: moved within `out` to `end` (in place when the record
      // had no leading blanks), not cloned as an overlapping set() would. A message's line is a
      // buffer of its own.
      const lines = content.bytes;
      const from = lines.byteOffset - out.byteOffset;
      // (small buffers share Node's pool: the same ArrayBuffer alone does not make a view of `out`)
      if (lines.buffer === out.buffer && from >= end && from + lines.length <= end + n) {
        if (from !== end) out.copyWithin(end, from, from + lines.length);
      } else out.set(lines, end);
      end += lines.length;
      out[end++] = 0x0a;
    }
    if (content.kind === 'payload') {
      // a copy: the next record is decoded over these bytes
      inputs.push(
        payloadInput(Buffer.from(content.bytes), {
          id: `firehose:${obj.requestId}/${i}`,
          context: firehoseContext(obj.requestId),
        }),
      );
    }
  }
  if (end > 0) {
    inputs.unshift(
      payloadInput(out.subarray(0, end), {
        id: `firehose:${obj.requestId}`,
        context: firehoseContext(obj.requestId),
      }),
    );
  }
  const recordsDigest = hash.digest('base64url');
  return { requestId: obj.requestId, inputs, recordsDigest };
}

const RECORD_SEPARATOR = Buffer.from([0]);

function firehoseContext(requestId: string): Record<string, string> {
  return { firehose_request_id: requestId };
}

async function ingest(
  config: FirehoseEndpointConfig,
  requestId: string,
  inputs: SourceInput[],
): Promise<Outcome> {
  if (inputs.length === 0) return { status: 200 };
  let receipt: Receipt;
  try {
    receipt = await config.pipeline.deliver({ id: `firehose:${requestId}`, inputs });
  } catch (err) {
    return { status: 503, errorMessage: `not accepted: ${(err as Error).message}` };
  }
  const { stats } = receipt;
  const delivered = receipt.sinks.map((s) => `${s.name} ${s.delivered}`).join(', ');
  const fields = { requestId, records: stats.records, malformed: stats.malformed, delivered };
  if (receipt.ok) {
    config.log.info('firehose request delivered', fields);
    return { status: 200 };
  }
  const problems = [
    // Decoders' messages mostly name their input already.
    ...stats.errors.map((e) =>
      e.message.startsWith(`${e.source}: `) ? e.message : `${e.source}: ${e.message}`,
    ),
    ...receipt.sinks.flatMap((s) => s.errors.map((m) => `sink ${s.name}: ${m}`)),
  ];
  const errorMessage = problems.slice(0, 5).join('; ') || 'delivery failed';
  // A record that decodes to nothing usable is the sender's fault; a sink failure is ours (retry).
  const status = receipt.sinkFailed ? 500 : 400;
  (status === 500 ? config.log.error : config.log.warn)('firehose request not delivered', {
    ...fields,
    status,
    errorMessage,
  });
  return { status, errorMessage };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** A JSON response with an exact Content-Length and no compression. */
export function respond(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
