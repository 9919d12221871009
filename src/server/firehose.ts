import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResolvedOptions } from '../config/options.js';
import { decodeInput } from '../decode/detect.js';
import type { ParsedFormat } from '../fields/format.js';
import { firehoseRecordContent } from '../lambda/firehose-record.js';
import { decodeBase64, payloadInput } from '../lambda/payload-input.js';
import { buildSinks } from '../pipeline/build.js';
import { type RunReport, runPipeline } from '../pipeline/run.js';
import { RunStats } from '../core/stats.js';
import type { Enricher, SourceInput } from '../core/types.js';
import { BodyError, readBody } from './body.js';
import { RecentRequests } from './request-ids.js';

export interface FirehoseEndpointConfig {
  readonly options: ResolvedOptions;
  readonly env: NodeJS.ProcessEnv;
  readonly enrichers: readonly Enricher[];
  readonly format: ParsedFormat | undefined;
  readonly accessKey: string | undefined;
  readonly maxBody: number;
  readonly rememberRequests: number;
  log(message: string): void;
}

interface Outcome {
  readonly status: number;
  readonly errorMessage?: string;
}

/**
 * `POST /firehose`: the Firehose HTTP endpoint delivery protocol v1.0 (spec sheet D.2).
 * Every record is validated before anything is ingested, so a 400 leaves nothing behind;
 * 200 is sent only after every sink has delivered; a retried request id is acknowledged
 * without ingesting again. Pipelines run one at a time (the store takes one writer).
 */
export function firehoseEndpoint(config: FirehoseEndpointConfig) {
  const recent = new RecentRequests<Outcome>(config.rememberRequests);
  const expectedKey = config.accessKey ? digest(config.accessKey) : undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const p = queue.then(work, work);
    queue = p.catch(() => undefined);
    return p;
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let requestId = header(req, 'x-amz-firehose-request-id') ?? '';
    const reply = (status: number, errorMessage?: string): void => {
      respond(res, status, {
        requestId,
        timestamp: Date.now(),
        ...(errorMessage ? { errorMessage: errorMessage.slice(0, 8192) } : {}),
      });
    };
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return reply(405, 'only POST is accepted');
    }
    if (expectedKey) {
      const given = header(req, 'x-amz-firehose-access-key');
      if (given === undefined || !timingSafeEqual(digest(given), expectedKey)) {
        res.setHeader('Connection', 'close');
        return reply(401, given === undefined ? 'missing X-Amz-Firehose-Access-Key' : 'wrong access key');
      }
    }
    const version = header(req, 'x-amz-firehose-protocol-version');
    if (version !== undefined && version !== '1.0')
      return reply(400, `unsupported protocol version ${version}`);
    let body: Buffer;
    try {
      body = await readBody(req, config.maxBody);
    } catch (err) {
      const status = err instanceof BodyError ? err.status : 400;
      res.setHeader('Connection', 'close');
      return reply(status, (err as Error).message);
    }
    const parsed = parseRequest(body);
    if ('error' in parsed) {
      if (parsed.requestId) requestId = parsed.requestId;
      return reply(400, parsed.error);
    }
    requestId = parsed.requestId;
    const known = recent.outcome(requestId);
    if (known) {
      config.log(`firehose ${requestId}: repeated request, answered from its first delivery`);
      return reply(known.status, known.errorMessage);
    }
    const running = recent.running(requestId);
    const outcome = running
      ? await running
      : await recent.run(
          requestId,
          () => serially(() => ingest(config, parsed.requestId, parsed.inputs)),
          // Sink failures (5xx) are worth a real retry; anything else gets the same answer again.
          (o) => o.status < 500,
        );
    return reply(outcome.status, outcome.errorMessage);
  };
}

interface ParsedRequest {
  readonly requestId: string;
  readonly inputs: SourceInput[];
}

/** Validates the body and every record; groups flow-log lines into one text input. */
function parseRequest(body: Buffer): ParsedRequest | { error: string; requestId?: string } {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
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
  const lines: string[] = [];
  const inputs: SourceInput[] = [];
  for (const [i, r] of obj.records.entries()) {
    const data = (r as { data?: unknown } | null)?.data;
    if (typeof data !== 'string') return bad(`records[${i}]: data is missing or not a string`);
    const bytes = decodeBase64(data);
    if (!bytes) return bad(`records[${i}]: data is not valid base64`);
    const content = firehoseRecordContent(bytes);
    if (content.kind === 'invalid') return bad(`records[${i}]: ${content.error}`);
    if (content.kind === 'lines') lines.push(content.text);
    if (content.kind === 'payload') {
      inputs.push(
        payloadInput(content.bytes, {
          id: `firehose:${obj.requestId}/${i}`,
          context: firehoseContext(obj.requestId),
        }),
      );
    }
  }
  if (lines.length) {
    inputs.unshift(
      payloadInput(Buffer.from(lines.join('\n') + '\n'), {
        id: `firehose:${obj.requestId}`,
        context: firehoseContext(obj.requestId),
      }),
    );
  }
  return { requestId: obj.requestId, inputs };
}

function firehoseContext(requestId: string): Record<string, string> {
  return { firehose_request_id: requestId };
}

async function ingest(
  config: FirehoseEndpointConfig,
  requestId: string,
  inputs: SourceInput[],
): Promise<Outcome> {
  if (inputs.length === 0) return { status: 200 };
  const stats = new RunStats();
  let report: RunReport;
  try {
    const sinks = await buildSinks(config.options, { env: config.env, stats, log: config.log });
    report = await runPipeline({
      inputs,
      decode: decodeInput,
      decodeOptions: {
        ...(config.format ? { format: config.format } : {}),
        batchSize: (config.options['batch-size'] as number | undefined) ?? 8192,
      },
      enrichers: config.enrichers,
      sinks,
      stats,
    });
  } catch (err) {
    return { status: 500, errorMessage: `cannot start the sinks: ${(err as Error).message}` };
  }
  const delivered = report.sinks.map((s) => `${s.name} ${s.delivered}`).join(', ');
  config.log(
    `firehose ${requestId}: ${stats.records} records, ${stats.malformed} malformed, delivered ${delivered}`,
  );
  if (report.ok) return { status: 200 };
  const problems = [
    ...stats.errors.map((e) => `${e.source}: ${e.message}`),
    ...report.sinks.flatMap((s) => s.errors.map((m) => `sink ${s.name}: ${m}`)),
  ];
  // A record that decodes to nothing usable is the sender's fault; a sink failure is ours (retry).
  const decodeOnly =
    report.sinks.every((s) => s.failed === 0 && s.errors.length === 0) &&
    stats.errors.every((e) => e.source !== 'pipeline');
  return {
    status: decodeOnly ? 400 : 500,
    errorMessage: problems.slice(0, 5).join('; ') || 'delivery failed',
  };
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
