import { gunzipSync } from 'node:zlib';
import type { FlowBatch, SourceRef } from '../batch/flow-batch.js';
import type { RunStats } from '../core/stats.js';
import type { ParsedFormat } from '../fields/format.js';
import { damagedPayload, strictBase64 } from './damaged-payload.js';
import { DecodeError, MAX_PAYLOAD_BYTES, sampleOf } from './errors.js';
import { JsonSplitter } from './json.js';
import { firstContentByte, isGzip } from './stream.js';
import { TextBatcher } from './text.js';

export interface PayloadContext {
  readonly stats: RunStats;
  readonly format?: ParsedFormat;
  readonly batchSize: number;
  /** The input, for messages: a file path, `-`, or the caller's source id. */
  readonly origin: string;
  /** Source of record lines that carry none of their own (Firehose records, wrappers). */
  readonly source: SourceRef;
  /** True when `origin` is a file or stream (so CloudWatch problems also name it). */
  readonly fromFile?: boolean;
}

/**
 * Decodes the payloads AWS pushes: CloudWatch Logs subscription JSON (plain, gzip or base64),
 * Firehose records (`{"message": line}` wrappers, bare lines, CloudWatch payloads) and Firehose
 * HTTP endpoint requests. Record lines go through the same TextBatcher as S3 text.
 */
export class PayloadDecoder {
  private readonly cwl: TextBatcher;
  private readonly lines: TextBatcher;
  private scratch = Buffer.allocUnsafe(4096);

  constructor(private readonly ctx: PayloadContext) {
    const common = {
      batchSize: ctx.batchSize,
      stats: ctx.stats,
      headers: false,
      ...(ctx.format ? { format: ctx.format } : {}),
    };
    this.cwl = new TextBatcher({ ...common, source: ctx.source, origin: ctx.origin, withIds: true });
    this.lines = new TextBatcher({ ...common, source: ctx.source, origin: ctx.origin });
  }

  /** Batches completed so far. */
  take(): FlowBatch[] {
    const a = this.cwl.take();
    const b = this.lines.take();
    return a.length === 0 ? b : b.length === 0 ? a : [...a, ...b];
  }

  /** No more payloads: the rows so far become batches. */
  end(): void {
    this.cwl.flush();
    this.lines.flush();
  }

  /**
   * One payload's bytes: gzip, JSON (one or several objects), base64 of either, or record
   * lines. Throws a DecodeError for bytes that are none of these.
   */
  bytes(data: Buffer, position: number, source: SourceRef = this.ctx.source, depth = 0): void {
    if (depth > 3)
      throw new DecodeError(`${this.ctx.origin}: payload nested too deeply (record ${position})`);
    if (isGzip(data)) {
      let plain: Buffer;
      try {
        plain = gunzipSync(data, { maxOutputLength: MAX_PAYLOAD_BYTES });
      } catch (err) {
        throw damagedPayload(
          `${this.ctx.origin}: record ${position}: gzip payload cannot be decompressed (${(err as Error).message})`,
          data,
        );
      }
      this.bytes(plain, position, source, depth + 1);
      return;
    }
    const at = firstContentByte(data);
    if (at < 0) return; // empty record: nothing to decode
    const c = data[at]!;
    if (c === 0x7b) {
      this.jsonBytes(data.subarray(at), position, source);
      return;
    }
    if (looksBase64(data, at)) {
      const text = data.toString('latin1', at).trim();
      this.bytes(strictBase64(text, `${this.ctx.origin}: record ${position}`), position, source, depth + 1);
      return;
    }
    this.textLines(data, position, source);
  }

  /** One parsed JSON document. */
  document(doc: unknown, position: number, source: SourceRef = this.ctx.source): void {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      this.bad(position, 'JSON value is not an object', JSON.stringify(doc)?.slice(0, 160) ?? '');
      return;
    }
    const o = doc as Record<string, unknown>;
    if (Array.isArray(o.logEvents) || typeof o.messageType === 'string') {
      this.cloudWatch(o, position);
      return;
    }
    if (typeof o.message === 'string') {
      this.message(o.message, position, source);
      return;
    }
    const awslogs = o.awslogs as { data?: unknown } | undefined;
    if (awslogs && typeof awslogs.data === 'string') {
      const what = `${this.ctx.origin}: record ${position}: awslogs.data`;
      this.bytes(strictBase64(awslogs.data, what), position, source, 1);
      return;
    }
    if (Array.isArray(o.records)) {
      this.firehoseRequest(o, position);
      return;
    }
    this.bad(
      position,
      'JSON document is not a CloudWatch Logs payload, Firehose record or Firehose request',
      JSON.stringify(doc).slice(0, 160),
    );
  }

  private jsonBytes(data: Buffer, position: number, source: SourceRef): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString('utf8'));
    } catch {
      // Several documents back to back (concatenated gzip members), or broken JSON.
      const splitter = new JsonSplitter(`${this.ctx.origin}: record ${position}`, {
        document: (bytes) => this.document(parseJson(bytes, this.ctx.origin, position), position, source),
        junk: (_line, sample) => {
          throw new DecodeError(`${this.ctx.origin}: record ${position}: not JSON: ${sample.slice(0, 60)}`);
        },
        cut: (_line, bytes) => {
          throw damagedPayload(
            `${this.ctx.origin}: record ${position}: JSON cut off: ${sampleOf(bytes, 0, 60)}`,
            bytes,
          );
        },
      });
      splitter.push(data);
      splitter.end();
      return;
    }
    this.document(parsed, position, source);
  }

  private cloudWatch(o: Record<string, unknown>, position: number): void {
    const stats = this.ctx.stats;
    if (o.messageType === 'CONTROL_MESSAGE') {
      stats.control++;
      return;
    }
    const group = typeof o.logGroup === 'string' ? o.logGroup : '';
    const stream = typeof o.logStream === 'string' ? o.logStream : '';
    const owner = typeof o.owner === 'string' ? o.owner : '';
    const id = `cwl:${group}/${stream}`;
    const events = o.logEvents;
    if (o.messageType !== undefined && o.messageType !== 'DATA_MESSAGE') {
      this.bad(
        position,
        `CloudWatch Logs payload of unknown messageType ${JSON.stringify(o.messageType)}`,
        id,
      );
      return;
    }
    if (!Array.isArray(events)) {
      this.bad(position, 'CloudWatch Logs payload without a logEvents array', id);
      return;
    }
    this.cwl.setSource({ id, context: { logGroup: group, logStream: stream, owner } });
    this.cwl.setOrigin(this.ctx.fromFile ? `${this.ctx.origin} (${id})` : id);
    for (let i = 0; i < events.length; i++) {
      const ev = events[i] as { id?: unknown; message?: unknown } | null;
      const message = ev && typeof ev.message === 'string' ? ev.message : undefined;
      if (message === undefined) {
        stats.addMalformed({
          source: this.ctx.fromFile ? `${this.ctx.origin} (${id})` : id,
          line: i + 1,
          message: 'log event without a message string',
          sample: JSON.stringify(ev)?.slice(0, 160) ?? '',
        });
        continue;
      }
      const eventId = ev && (typeof ev.id === 'string' || typeof ev.id === 'number') ? String(ev.id) : '';
      const n = this.toScratch(message);
      this.cwl.line(this.scratch, 0, n, i + 1, eventId);
    }
    this.cwl.flush();
  }

  private message(line: string, position: number, source: SourceRef): void {
    this.lines.setSource(source);
    const n = this.toScratch(line);
    // A wrapper normally holds one line; split defensively in case it holds several.
    this.eachLine(this.scratch, 0, n, (s, e) => this.lines.line(this.scratch, s, e, position));
  }

  private textLines(data: Buffer, position: number, source: SourceRef): void {
    this.lines.setSource(source);
    this.eachLine(data, 0, data.length, (s, e) => this.lines.line(data, s, e, position));
  }

  private firehoseRequest(o: Record<string, unknown>, position: number): void {
    const requestId = typeof o.requestId === 'string' ? o.requestId : `line-${position}`;
    const source: SourceRef = { id: `firehose:${requestId}` };
    const records = o.records as unknown[];
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as { data?: unknown } | null;
      if (!r || typeof r.data !== 'string') {
        this.bad(i + 1, `Firehose request ${requestId}: record ${i + 1} has no data string`, '');
        continue;
      }
      try {
        this.bytes(strictBase64(r.data, `record ${i + 1}`), i + 1, source, 1);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        this.bad(i + 1, `Firehose request ${requestId}: ${err.message}`, r.data.slice(0, 160), err.lost);
      }
    }
  }

  private eachLine(buf: Buffer, start: number, end: number, fn: (s: number, e: number) => void): void {
    let s = start;
    while (s < end) {
      let nl = buf.indexOf(10, s);
      if (nl === -1 || nl > end) nl = end;
      fn(s, nl);
      s = nl + 1;
    }
  }

  private toScratch(text: string): number {
    const need = Buffer.byteLength(text);
    if (need > this.scratch.length)
      this.scratch = Buffer.allocUnsafe(Math.max(need, this.scratch.length * 2));
    return this.scratch.write(text, 0);
  }

  private bad(position: number, message: string, sample: string, lost = 1): void {
    this.ctx.stats.addMalformed({ source: this.ctx.origin, line: position, message, sample }, lost);
  }
}

function parseJson(bytes: Buffer, origin: string, position: number): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw damagedPayload(
      `${origin}: record ${position}: invalid JSON (${(err as Error).message}): ${sampleOf(bytes, 0, 60)}`,
      bytes,
    );
  }
}

/** Base64 of gzip starts `H4sI`; base64 of a JSON object starts `ey`. */
function looksBase64(data: Buffer, at: number): boolean {
  if (data.length - at < 8) return false;
  const head = data.toString('latin1', at, at + 4);
  if (head !== 'H4sI' && !head.startsWith('ey')) return false;
  for (let i = at; i < Math.min(data.length, at + 256); i++) {
    const c = data[i]!;
    const ok =
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      (c >= 48 && c <= 57) ||
      c === 43 ||
      c === 47 ||
      c === 61 ||
      c === 10 ||
      c === 13;
    if (!ok) return false;
  }
  return true;
}
