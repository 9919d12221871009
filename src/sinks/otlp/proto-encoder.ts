import { isUtf8 } from 'node:buffer';
import { FlowBatch, type LineText } from '../../batch/flow-batch.js';
import { type AttributeWriter, hasPlanner, type OtelMapping } from '../../schema/types.js';
import { type AttributeValue, type RequestEncoder, replayAttributes, type ScopeInfo } from './encoder.js';
import { DirectRecordWriter } from './proto-direct.js';
import {
  T_ARRAY_VALUE,
  T_AV_ARRAY,
  T_AV_BOOL,
  T_AV_DOUBLE,
  T_AV_INT,
  T_AV_STRING,
  T_KV_KEY,
  T_KV_VALUE,
  T_LR_ATTR,
  T_LR_BODY,
  T_LR_OBSERVED,
  T_LR_SEVERITY,
  T_LR_SEVERITY_TEXT,
  T_LR_TIME,
  T_RESOURCE_ATTR,
  T_RESOURCE_LOGS,
  T_RL_RESOURCE,
  T_RL_SCOPE_LOGS,
  T_SL_RECORD,
  T_SL_SCOPE,
} from './proto-tags.js';
import { nanosHalves, ProtoWriter, varintSize } from './proto-writer.js';

/** String attributes shorter than this are cached as encoded KeyValue bytes, per key. */
const CACHE_MAX_CHARS = 64;
/** Cached values per key before the key's cache starts over. */
const PAIRS_PER_KEY = 4096;
/** After this many lookups, a key whose values mostly miss (addresses, ids) stops caching. */
const PAIR_PROBE = 8192;

/**
 * Per attribute key: its encoded `key` field, and the encoded KeyValue of its recent values.
 * Dictionary values (account, interface, action, status, protocol names…) repeat across
 * records; high-cardinality keys turn their cache off after a probe.
 */
interface KeyState {
  readonly bytes: Buffer;
  pairs: Map<string, Buffer> | null;
  lookups: number;
  misses: number;
  /** The previous string value and its KeyValue bytes: neighbours often share values. */
  last: string | undefined;
  lastBytes: Buffer | undefined;
}

/**
 * OTLP/protobuf ExportLogsServiceRequest encoder, written by hand into one reused buffer.
 * Records go through one of two writers that produce the same bytes:
 * - `records`: the fast writer (DirectRecordWriter) on the batch's compiled plan, what the sink
 *   uses;
 * - `record`: the reference writer, plain and row by row through the mapping's visitor, which
 *   test/sinks/otlp-writer.test.ts compares the fast one with (and the path of a mapping that
 *   cannot compile itself).
 * The encoder is also the AttributeWriter the visitor (and the fast writer, for the rare value
 * its ops do not cover) writes attributes into, so no attribute object exists per record.
 */
export class ProtoRequestEncoder implements RequestEncoder, AttributeWriter {
  private readonly w: ProtoWriter;
  private attrTag = T_LR_ATTR;
  private readonly keys = new Map<string, KeyState>();
  private readonly texts = new Map<string, Buffer>();
  private readonly resourceCache = new Map<string, Buffer>();
  private readonly scopeBytes: Buffer;
  private observedLo = 0;
  private observedHi = 0;
  private rlMark = -1;
  private slMark = -1;
  /**
   * Bytes reserved for the ResourceLogs and ScopeLogs lengths: the width of the request buffer's
   * size, so a group filling the request gets its minimal length in place; a shorter group
   * (at most 16 KiB for a 1 MiB request) is moved by a byte or two when it is closed.
   */
  private groupLenBytes = 4;
  private groupStart = 0;
  private groupRecords = 0;
  /** The observedTimeUnixNano field of this request (tag + fixed64). */
  private readonly observed = Buffer.alloc(9);
  private readonly fast: DirectRecordWriter;
  private planBatch: FlowBatch | undefined;
  private planned = false;

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
    this.fast = new DirectRecordWriter(this.w, this);
  }

  get size(): number {
    return this.w.pos;
  }

  begin(observedSeconds: number, buffer: Buffer): void {
    this.groupLenBytes = varintSize(buffer.length);
    this.w.buf = buffer;
    this.w.reset();
    [this.observedLo, this.observedHi] = nanosHalves(observedSeconds);
    this.observed[0] = T_LR_OBSERVED;
    this.observed.writeUInt32LE(this.observedLo >>> 0, 1);
    this.observed.writeUInt32LE(this.observedHi >>> 0, 5);
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
    this.rlMark = w.beginLen(this.groupLenBytes);
    w.byte(T_RL_RESOURCE);
    w.varint(resource.length);
    w.bytes(resource);
    w.byte(T_RL_SCOPE_LOGS);
    this.slMark = w.beginLen(this.groupLenBytes);
    w.byte(T_SL_SCOPE);
    w.varint(this.scopeBytes.length);
    w.bytes(this.scopeBytes);
  }

  closeResource(): void {
    if (this.rlMark < 0) return;
    if (this.groupRecords === 0) {
      this.w.pos = this.groupStart;
    } else {
      this.w.endLen(this.slMark, this.groupLenBytes);
      this.w.endLen(this.rlMark, this.groupLenBytes);
    }
    this.rlMark = -1;
  }

  /** The reference writer: one LogRecord through the mapping's visitor. */
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
    if (body !== null) this.body(body);
    this.attrTag = T_LR_ATTR;
    m.attributes(batch, i, this);
    w.endLen(mark, 2);
    this.groupRecords++;
  }

  records(batch: FlowBatch, rows: Int32Array, from: number, limit: number): number {
    if (batch !== this.planBatch) this.loadBatch(batch);
    if (!this.planned) {
      this.record(batch, rows[from]!);
      return from + 1;
    }
    this.attrTag = T_LR_ATTR;
    const next = this.fast.writeRows(rows, from, rows.length, this.observed, limit);
    this.groupRecords += next - from;
    return next;
  }

  appendRecords(bytes: Uint8Array, count: number): void {
    const w = this.w;
    w.ensure(bytes.length);
    w.buf.set(bytes, w.pos);
    w.pos += bytes.length;
    this.groupRecords += count;
  }

  /** Compiles the mapping for a new batch (a mapping without a planner goes through `record`). */
  private loadBatch(batch: FlowBatch): void {
    this.planBatch = batch;
    const plan = hasPlanner(this.mapping) ? this.mapping.plan(batch) : null;
    this.planned = plan !== null;
    if (plan === null) return;
    const text = batch.text;
    let lines = text !== undefined && text.starts.length >= batch.length ? text : undefined;
    // A protobuf string must be UTF-8. Lines start and end next to ASCII blanks, so one check of
    // the whole copy covers every line.
    if (lines !== undefined && !isUtf8(lines.bytes)) lines = utf8Lines(batch, lines);
    this.fast.load(plan, lines, (i) => batch.line(i));
  }

  /** The body field: an AnyValue string. */
  body(text: string): void {
    const w = this.w;
    const n = Buffer.byteLength(text, 'utf8');
    w.ensure(n + 16);
    w.byte(T_LR_BODY);
    w.varint(1 + varintSize(n) + n);
    w.byte(T_AV_STRING);
    w.varint(n);
    w.pos += w.buf.write(text, w.pos, 'utf8');
  }

  finish(): { body: Uint8Array; buffer: Buffer } {
    this.closeResource();
    return { body: this.w.buf.subarray(0, this.w.pos), buffer: this.w.buf };
  }

  // AttributeWriter: KeyValue{key, value: AnyValue} under the current attribute tag.

  str(key: string, value: string): void {
    const k = this.keyState(key);
    if (value === k.last) {
      this.copy(k.lastBytes!);
      return;
    }
    const pairs = k.pairs;
    if (pairs !== null && value.length < CACHE_MAX_CHARS) {
      let kv = pairs.get(value);
      if (kv === undefined) {
        kv = this.encodePair(k, value);
        if (pairs.size >= PAIRS_PER_KEY) pairs.clear();
        pairs.set(value, kv);
        k.misses++;
      }
      if (++k.lookups === PAIR_PROBE && k.misses * 2 > k.lookups) k.pairs = null;
      k.last = value;
      k.lastBytes = kv;
      this.copy(kv);
      return;
    }
    this.writeStr(k.bytes, value);
  }

  int(key: string, value: number): void {
    const k = this.keyState(key).bytes;
    const v = Math.trunc(value);
    const any = 1 + varintSize(v);
    const w = this.w;
    if (w.pos + k.length + 24 > w.buf.length) w.ensure(k.length + 24);
    const buf = w.buf;
    buf[w.pos++] = this.attrTag;
    w.varint(k.length + 1 + varintSize(any) + any);
    this.copy(k);
    buf[w.pos++] = T_KV_VALUE;
    buf[w.pos++] = any;
    buf[w.pos++] = T_AV_INT;
    w.varint(v);
  }

  dbl(key: string, value: number): void {
    const k = this.keyState(key).bytes;
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
    const k = this.keyState(key).bytes;
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
    const k = this.keyState(key).bytes;
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

  /** A string KeyValue written in place. */
  private writeStr(k: Buffer, value: string): void {
    const w = this.w;
    const maxBytes = value.length * 3;
    const klen = k.length;
    if (w.pos + klen + maxBytes + 24 > w.buf.length) w.ensure(klen + maxBytes + 24);
    const buf = w.buf;
    if (klen + maxBytes + 4 < 128) {
      // Every length fits one byte: write the text first, then the three lengths before it.
      const at = w.pos;
      const textAt = at + 2 + klen + 3;
      const n = buf.write(value, textAt);
      buf[at] = this.attrTag;
      buf[at + 1] = klen + 3 + n;
      for (let j = 0; j < klen; j++) buf[at + 2 + j] = k[j]!;
      buf[at + 2 + klen] = T_KV_VALUE;
      buf[at + 3 + klen] = n + 2;
      buf[at + 4 + klen] = T_AV_STRING;
      buf[textAt - 1] = n;
      w.pos = textAt + n;
      return;
    }
    const n = Buffer.byteLength(value, 'utf8');
    const any = 1 + varintSize(n) + n;
    buf[w.pos++] = this.attrTag;
    w.varint(klen + 1 + varintSize(any) + any);
    this.copy(k);
    buf[w.pos++] = T_KV_VALUE;
    w.varint(any);
    buf[w.pos++] = T_AV_STRING;
    w.varint(n);
    w.pos += buf.write(value, w.pos);
  }

  /** Copies a small byte string (a loop beats TypedArray.set for a few dozen bytes). */
  private copy(b: Buffer): void {
    const w = this.w;
    const n = b.length;
    if (w.pos + n > w.buf.length) w.ensure(n);
    const buf = w.buf;
    const pos = w.pos;
    if (n < 64) for (let j = 0; j < n; j++) buf[pos + j] = b[j]!;
    else buf.set(b, pos);
    w.pos = pos + n;
  }

  private keyState(key: string): KeyState {
    let k = this.keys.get(key);
    if (k === undefined) {
      const p = new ProtoWriter(key.length * 3 + 8);
      p.byte(T_KV_KEY);
      p.string(key);
      k = {
        bytes: Buffer.from(p.buf.subarray(0, p.pos)),
        pairs: new Map(),
        lookups: 0,
        misses: 0,
        last: undefined,
        lastBytes: undefined,
      };
      this.keys.set(key, k);
    }
    return k;
  }

  /** The whole KeyValue field (tag, length, key, value) of a string attribute. */
  private encodePair(k: KeyState, value: string): Buffer {
    const p = new ProtoWriter(k.bytes.length + value.length * 3 + 16);
    const n = Buffer.byteLength(value, 'utf8');
    const any = 1 + varintSize(n) + n;
    p.byte(this.attrTag);
    p.varint(k.bytes.length + 1 + varintSize(any) + any);
    p.bytes(k.bytes);
    p.byte(T_KV_VALUE);
    p.varint(any);
    p.byte(T_AV_STRING);
    p.string(value);
    return Buffer.from(p.buf.subarray(0, p.pos));
  }

  private cachedString(s: string): void {
    let v = this.texts.get(s);
    if (v === undefined) {
      const p = new ProtoWriter(s.length * 3 + 8);
      p.string(s);
      v = Buffer.from(p.buf.subarray(0, p.pos));
      if (this.texts.size >= 1024) this.texts.clear();
      this.texts.set(s, v);
    }
    this.copy(v);
  }

  private encodeResource(attrs: Map<string, AttributeValue>): Buffer {
    const tmp = new ProtoRequestEncoder(this.mapping, { name: '', version: '' }, 1024);
    tmp.attrTag = T_RESOURCE_ATTR;
    replayAttributes(attrs, tmp);
    return Buffer.from(tmp.w.buf.subarray(0, tmp.w.pos));
  }
}

/**
 * A protobuf string must be UTF-8: a batch's lines where each line that is not keeps the line
 * rebuilt from its columns (whose strings carry replacement characters), and every other line
 * its bytes as written.
 */
function utf8Lines(batch: FlowBatch, text: LineText): LineText {
  const rebuilt = new FlowBatch(batch.fields, batch.columns, batch.length, batch.source, batch.positions);
  const parts: Uint8Array[] = [];
  const starts = new Uint32Array(batch.length);
  const ends = new Uint32Array(batch.length);
  let at = 0;
  for (let i = 0; i < batch.length; i++) {
    let line: Uint8Array = text.bytes.subarray(text.starts[i], text.ends[i]);
    if (!isUtf8(line)) line = Buffer.from(rebuilt.line(i), 'utf8');
    parts.push(line);
    starts[i] = at;
    at += line.length;
    ends[i] = at;
  }
  return { bytes: Buffer.concat(parts), starts, ends };
}
