import type { FlowBatch } from '../../batch/flow-batch.js';
import type { AttributeWriter, OtelMapping } from '../../schema/types.js';
import { type AttributeValue, replayAttributes, type RequestEncoder, type ScopeInfo } from './encoder.js';
import { nanosHalves, ProtoWriter, varintSize } from './proto-writer.js';

// Tags (field number << 3 | wire type), spec sheet F.4.
const T_RESOURCE_LOGS = 0x0a;
const T_RL_RESOURCE = 0x0a;
const T_RL_SCOPE_LOGS = 0x12;
const T_SL_SCOPE = 0x0a;
const T_SL_RECORD = 0x12;
const T_RESOURCE_ATTR = 0x0a;
const T_LR_TIME = 0x09;
const T_LR_SEVERITY = 0x10;
const T_LR_SEVERITY_TEXT = 0x1a;
const T_LR_BODY = 0x2a;
const T_LR_ATTR = 0x32;
const T_LR_OBSERVED = 0x59;
const T_KV_KEY = 0x0a;
const T_KV_VALUE = 0x12;
const T_AV_STRING = 0x0a;
const T_AV_BOOL = 0x10;
const T_AV_INT = 0x18;
const T_AV_DOUBLE = 0x21;
const T_AV_ARRAY = 0x2a;
const T_ARRAY_VALUE = 0x0a;

/** Values shorter than this are cached as encoded bytes (dictionary values repeat a lot). */
const CACHE_MAX_CHARS = 64;
const CACHE_MAX_ENTRIES = 100_000;

/**
 * OTLP/protobuf ExportLogsServiceRequest encoder, written by hand into one reused buffer.
 * It is also the AttributeWriter the mapping writes record attributes into, so no attribute
 * object exists per record. Key bytes (tag, length, UTF-8) and short string values are cached.
 */
export class ProtoRequestEncoder implements RequestEncoder, AttributeWriter {
  private readonly w: ProtoWriter;
  private attrTag = T_LR_ATTR;
  private readonly keyCache = new Map<string, Buffer>();
  private readonly valueCache = new Map<string, Buffer>();
  private readonly resourceCache = new Map<string, Buffer>();
  private readonly scopeBytes: Buffer;
  private observedLo = 0;
  private observedHi = 0;
  private rlMark = -1;
  private slMark = -1;
  private groupStart = 0;
  private groupRecords = 0;

  constructor(
    private readonly mapping: OtelMapping,
    scope: ScopeInfo,
    capacity: number,
  ) {
    this.w = new ProtoWriter(capacity);
    const s = new ProtoWriter(64);
    s.byte(0x0a);
    s.string(scope.name);
    s.byte(0x12);
    s.string(scope.version);
    this.scopeBytes = Buffer.from(s.buf.subarray(0, s.pos));
  }

  get size(): number {
    return this.w.pos;
  }

  begin(observedSeconds: number, buffer: Buffer): void {
    this.w.buf = buffer;
    this.w.reset();
    [this.observedLo, this.observedHi] = nanosHalves(observedSeconds);
  }

  openResource(resourceKey: string, attributes: () => Map<string, AttributeValue>): void {
    let resource = this.resourceCache.get(resourceKey);
    if (!resource) {
      resource = this.encodeResource(attributes());
      if (this.resourceCache.size > 10_000) this.resourceCache.clear();
      this.resourceCache.set(resourceKey, resource);
    }
    const w = this.w;
    this.groupStart = w.pos;
    this.groupRecords = 0;
    w.byte(T_RESOURCE_LOGS);
    this.rlMark = w.beginLen(4);
    w.byte(T_RL_RESOURCE);
    w.varint(resource.length);
    w.bytes(resource);
    w.byte(T_RL_SCOPE_LOGS);
    this.slMark = w.beginLen(4);
    w.byte(T_SL_SCOPE);
    w.varint(this.scopeBytes.length);
    w.bytes(this.scopeBytes);
  }

  closeResource(): void {
    if (this.rlMark < 0) return;
    if (this.groupRecords === 0) {
      this.w.pos = this.groupStart;
    } else {
      this.w.endLen(this.slMark, 4);
      this.w.endLen(this.rlMark, 4);
    }
    this.rlMark = -1;
  }

  record(batch: FlowBatch, i: number): void {
    const w = this.w;
    const m = this.mapping;
    w.byte(T_SL_RECORD);
    const mark = w.beginLen(2);
    const t = m.timeSeconds(batch, i);
    if (t !== null && t > 0) {
      const [lo, hi] = nanosHalves(t);
      w.byte(T_LR_TIME);
      w.fixed64(lo, hi);
    }
    w.byte(T_LR_OBSERVED);
    w.fixed64(this.observedLo, this.observedHi);
    const sev = m.severityNumber(batch, i);
    if (sev > 0) {
      w.byte(T_LR_SEVERITY);
      w.varint(sev);
    }
    const sevText = m.severityText(batch, i);
    if (sevText) {
      w.byte(T_LR_SEVERITY_TEXT);
      this.cachedString(sevText);
    }
    const body = m.body(batch, i);
    if (body !== null) {
      const n = Buffer.byteLength(body, 'utf8');
      w.byte(T_LR_BODY);
      w.varint(1 + varintSize(n) + n);
      w.byte(T_AV_STRING);
      w.varint(n);
      w.ensure(n);
      w.pos += w.buf.write(body, w.pos);
    }
    this.attrTag = T_LR_ATTR;
    m.attributes(batch, i, this);
    w.endLen(mark, 2);
    this.groupRecords++;
  }

  finish(): { body: Uint8Array; buffer: Buffer } {
    this.closeResource();
    return { body: this.w.buf.subarray(0, this.w.pos), buffer: this.w.buf };
  }

  // AttributeWriter: KeyValue{key, value: AnyValue} under the current attribute tag.

  str(key: string, value: string): void {
    const k = this.key(key);
    const v = value.length < CACHE_MAX_CHARS ? this.value(value) : undefined;
    const w = this.w;
    if (v) {
      const any = 1 + v.length;
      w.byte(this.attrTag);
      w.varint(k.length + 1 + varintSize(any) + any);
      w.bytes(k);
      w.byte(T_KV_VALUE);
      w.varint(any);
      w.byte(T_AV_STRING);
      w.bytes(v);
      return;
    }
    const n = Buffer.byteLength(value, 'utf8');
    const any = 1 + varintSize(n) + n;
    w.byte(this.attrTag);
    w.varint(k.length + 1 + varintSize(any) + any);
    w.bytes(k);
    w.byte(T_KV_VALUE);
    w.varint(any);
    w.byte(T_AV_STRING);
    w.varint(n);
    w.ensure(n);
    w.pos += w.buf.write(value, w.pos);
  }

  int(key: string, value: number): void {
    const k = this.key(key);
    const v = Math.trunc(value);
    const any = 1 + varintSize(v);
    const w = this.w;
    w.byte(this.attrTag);
    w.varint(k.length + 1 + varintSize(any) + any);
    w.bytes(k);
    w.byte(T_KV_VALUE);
    w.varint(any);
    w.byte(T_AV_INT);
    w.varint(v);
  }

  dbl(key: string, value: number): void {
    const k = this.key(key);
    const w = this.w;
    w.byte(this.attrTag);
    w.varint(k.length + 1 + 1 + 9);
    w.bytes(k);
    w.byte(T_KV_VALUE);
    w.varint(9);
    w.byte(T_AV_DOUBLE);
    w.double(value);
  }

  bool(key: string, value: boolean): void {
    const k = this.key(key);
    const w = this.w;
    w.byte(this.attrTag);
    w.varint(k.length + 1 + 1 + 2);
    w.bytes(k);
    w.byte(T_KV_VALUE);
    w.varint(2);
    w.byte(T_AV_BOOL);
    w.byte(value ? 1 : 0);
  }

  strArray(key: string, values: readonly string[]): void {
    const k = this.key(key);
    let arr = 0;
    for (const s of values) {
      const n = Buffer.byteLength(s, 'utf8');
      const av = 1 + varintSize(n) + n;
      arr += 1 + varintSize(av) + av;
    }
    const any = 1 + varintSize(arr) + arr;
    const w = this.w;
    w.byte(this.attrTag);
    w.varint(k.length + 1 + varintSize(any) + any);
    w.bytes(k);
    w.byte(T_KV_VALUE);
    w.varint(any);
    w.byte(T_AV_ARRAY);
    w.varint(arr);
    for (const s of values) {
      const n = Buffer.byteLength(s, 'utf8');
      w.byte(T_ARRAY_VALUE);
      w.varint(1 + varintSize(n) + n);
      w.byte(T_AV_STRING);
      w.string(s);
    }
  }

  /** `KeyValue.key` field bytes (tag, length, UTF-8), cached per key. */
  private key(key: string): Buffer {
    let k = this.keyCache.get(key);
    if (!k) {
      const p = new ProtoWriter(key.length * 3 + 8);
      p.byte(T_KV_KEY);
      p.string(key);
      k = Buffer.from(p.buf.subarray(0, p.pos));
      this.keyCache.set(key, k);
    }
    return k;
  }

  /** A short string's length-prefixed UTF-8 bytes, cached. */
  private value(value: string): Buffer {
    let v = this.valueCache.get(value);
    if (!v) {
      const p = new ProtoWriter(value.length * 3 + 8);
      p.string(value);
      v = Buffer.from(p.buf.subarray(0, p.pos));
      if (this.valueCache.size >= CACHE_MAX_ENTRIES) this.valueCache.clear();
      this.valueCache.set(value, v);
    }
    return v;
  }

  private cachedString(s: string): void {
    if (s.length < CACHE_MAX_CHARS) this.w.bytes(this.value(s));
    else this.w.string(s);
  }

  private encodeResource(attrs: Map<string, AttributeValue>): Buffer {
    const tmp = new ProtoRequestEncoder(this.mapping, { name: '', version: '' }, 1024);
    tmp.attrTag = T_RESOURCE_ATTR;
    replayAttributes(attrs, tmp);
    return Buffer.from(tmp.w.buf.subarray(0, tmp.w.pos));
  }
}
