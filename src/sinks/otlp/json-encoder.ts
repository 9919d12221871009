import type { FlowBatch } from '../../batch/flow-batch.js';
import type { AttributeWriter, OtelMapping } from '../../schema/types.js';
import { type AttributeValue, type RequestEncoder, replayAttributes, type ScopeInfo } from './encoder.js';
import { nanosString } from './proto-writer.js';

const CACHE_MAX_CHARS = 64;
const CACHE_MAX_ENTRIES = 100_000;

/**
 * OTLP/JSON ExportLogsServiceRequest encoder (spec sheet F.1): lowerCamelCase keys, 64-bit
 * integers as decimal strings, enums as integers. Text is appended to one reused buffer;
 * `{"key":"…","value":` prefixes and short quoted values are cached.
 */
export class JsonRequestEncoder implements RequestEncoder, AttributeWriter {
  private buf: Buffer;
  private pos = 0;
  private readonly keyCache = new Map<string, string>();
  private readonly quoteCache = new Map<string, string>();
  private readonly resourceCache = new Map<string, string>();
  private readonly scopeJson: string;
  private observed = '"0"';
  private groupStart = -1;
  private groupRecords = 0;
  private groups = 0;
  private firstAttr = true;

  constructor(
    private readonly mapping: OtelMapping,
    scope: ScopeInfo,
    capacity: number,
  ) {
    this.buf = Buffer.allocUnsafe(capacity);
    this.scopeJson = JSON.stringify({ name: scope.name, version: scope.version });
  }

  get size(): number {
    return this.pos;
  }

  begin(observedSeconds: number, buffer: Buffer): void {
    this.buf = buffer;
    this.pos = 0;
    this.groups = 0;
    this.observed = `"${nanosString(observedSeconds)}"`;
    this.write('{"resourceLogs":[');
  }

  openResource(resourceKey: string, attributes: () => Map<string, AttributeValue>): void {
    let resource = this.resourceCache.get(resourceKey);
    if (resource === undefined) {
      resource = this.encodeResource(attributes());
      if (this.resourceCache.size > 10_000) this.resourceCache.clear();
      this.resourceCache.set(resourceKey, resource);
    }
    this.groupStart = this.pos;
    this.groupRecords = 0;
    this.write(
      `${this.groups > 0 ? ',' : ''}{"resource":{"attributes":[${resource}]},"scopeLogs":[{"scope":${this.scopeJson},"logRecords":[`,
    );
  }

  closeResource(): void {
    if (this.groupStart < 0) return;
    if (this.groupRecords === 0) this.pos = this.groupStart;
    else {
      this.write(']}]}');
      this.groups++;
    }
    this.groupStart = -1;
  }

  record(batch: FlowBatch, i: number): void {
    const m = this.mapping;
    let s = this.groupRecords > 0 ? ',{' : '{';
    const t = m.timeSeconds(batch, i);
    if (t !== null && t > 0) s += `"timeUnixNano":"${nanosString(t)}",`;
    s += `"observedTimeUnixNano":${this.observed}`;
    const sev = m.severityNumber(batch, i);
    if (sev > 0) s += `,"severityNumber":${sev}`;
    const sevText = m.severityText(batch, i);
    if (sevText) s += `,"severityText":${this.quote(sevText)}`;
    const body = m.body(batch, i);
    if (body !== null) s += `,"body":{"stringValue":${JSON.stringify(body)}}`;
    s += ',"attributes":[';
    this.write(s);
    this.firstAttr = true;
    m.attributes(batch, i, this);
    this.write(']}');
    this.groupRecords++;
  }

  finish(): { body: Uint8Array; buffer: Buffer } {
    this.closeResource();
    this.write(']}');
    return { body: this.buf.subarray(0, this.pos), buffer: this.buf };
  }

  str(key: string, value: string): void {
    this.attr(key, `{"stringValue":${this.quote(value)}}`);
  }

  int(key: string, value: number): void {
    this.attr(key, `{"intValue":"${Math.trunc(value)}"}`);
  }

  dbl(key: string, value: number): void {
    // proto3 JSON spells non-finite doubles as strings.
    const v = Number.isFinite(value)
      ? String(value)
      : `"${value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN'}"`;
    this.attr(key, `{"doubleValue":${v}}`);
  }

  bool(key: string, value: boolean): void {
    this.attr(key, `{"boolValue":${value}}`);
  }

  strArray(key: string, values: readonly string[]): void {
    const items = values.map((v) => `{"stringValue":${this.quote(v)}}`).join(',');
    this.attr(key, `{"arrayValue":{"values":[${items}]}}`);
  }

  private attr(key: string, value: string): void {
    let k = this.keyCache.get(key);
    if (k === undefined) {
      k = `{"key":${JSON.stringify(key)},"value":`;
      this.keyCache.set(key, k);
    }
    this.write(`${this.firstAttr ? '' : ','}${k}${value}}`);
    this.firstAttr = false;
  }

  private quote(s: string): string {
    if (s.length >= CACHE_MAX_CHARS) return JSON.stringify(s);
    let q = this.quoteCache.get(s);
    if (q === undefined) {
      q = JSON.stringify(s);
      if (this.quoteCache.size >= CACHE_MAX_ENTRIES) this.quoteCache.clear();
      this.quoteCache.set(s, q);
    }
    return q;
  }

  private write(s: string): void {
    const max = s.length * 3;
    if (this.pos + max > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + max));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
    this.pos += this.buf.write(s, this.pos);
  }

  private encodeResource(attrs: Map<string, AttributeValue>): string {
    const tmp = new JsonRequestEncoder(this.mapping, { name: '', version: '' }, 1024);
    tmp.firstAttr = true;
    replayAttributes(attrs, tmp);
    return tmp.buf.toString('utf8', 0, tmp.pos);
  }
}
