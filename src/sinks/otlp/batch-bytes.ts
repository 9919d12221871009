import type { StrColumn } from '../../batch/flow-batch.js';
import type { OtelStrSource } from '../../schema/types.js';
import { ByteArena, putBytes, putVarint, utf8Length, writeUtf8 } from './byte-arena.js';
import {
  T_AV_STRING,
  T_KV_KEY,
  T_KV_VALUE,
  T_LR_ATTR,
  T_LR_SEVERITY,
  T_LR_SEVERITY_TEXT,
} from './proto-tags.js';
import { varintSize } from './proto-writer.js';

/** Per dictionary code, bytes encoded on first use in this batch (undefined: not yet). */
export type CodeBytes = (Uint8Array | undefined)[];
export const NOTHING = new Uint8Array(0);

/** UTF-8 bytes of one dictionary column's values, encoded on first use in this batch. */
export class ColumnValues {
  readonly codes: Uint32Array;
  readonly dict: readonly string[];
  readonly bytes: CodeBytes;
  constructor(column: StrColumn) {
    this.codes = column.codes;
    this.dict = column.dict;
    this.bytes = new Array<Uint8Array | undefined>(column.dict.length);
  }
}

/** A string source: its column's values and the whole KeyValue field per code. */
export class Source {
  readonly codes: Uint32Array;
  readonly kv: CodeBytes;
  /** Encoded entries by their key and value, when `entry` gives the same one for many codes. */
  readonly results = new Map<string, Uint8Array>();
  constructor(
    readonly values: ColumnValues,
    /** The `key` field bytes when the attribute is `key` = the value. */
    readonly keyField: Buffer | null,
    readonly entry: ((value: string) => readonly [string, string] | null) | null,
  ) {
    this.codes = values.codes;
    this.kv = new Array<Uint8Array | undefined>(values.dict.length);
  }
}

/**
 * The bytes of one batch encoded on first use: dictionary values (UTF-8), whole attribute
 * KeyValue fields per code, severity fields. Lives in an arena reset per batch, so memory is
 * bounded by what one batch holds; attribute key fields are kept across batches.
 */
export class BatchBytes {
  private readonly arena = new ByteArena();
  private readonly keyFields = new Map<string, Buffer>();
  private readonly columnValues = new Map<StrColumn, ColumnValues>();

  /** A new batch: earlier codes mean nothing any more. */
  reset(): void {
    this.arena.reset();
    this.columnValues.clear();
  }

  /** The value cache of a dictionary column (one per column per batch). */
  valuesOf(column: StrColumn): ColumnValues {
    let cv = this.columnValues.get(column);
    if (cv === undefined) {
      cv = new ColumnValues(column);
      this.columnValues.set(column, cv);
    }
    return cv;
  }

  source(s: OtelStrSource): Source {
    const entry = s.entry;
    return new Source(this.valuesOf(s.column), entry ? null : this.keyField(s.key), entry ?? null);
  }

  /** The `key` field (tag, length, UTF-8) of an attribute key. */
  keyField(key: string): Buffer {
    let k = this.keyFields.get(key);
    if (k === undefined) {
      const n = Buffer.byteLength(key, 'utf8');
      const b = Buffer.alloc(1 + varintSize(n) + n);
      b[0] = T_KV_KEY;
      const at = putVarint(b, 1, n);
      b.write(key, at, 'utf8');
      k = b;
      this.keyFields.set(key, k);
    }
    return k;
  }

  /** The UTF-8 bytes of dictionary value `code`, encoded on first use. */
  encodeValue(cv: ColumnValues, code: number): Uint8Array {
    const value = cv.dict[code]!;
    const arena = this.arena;
    arena.ensure(value.length * 3);
    const at = arena.pos;
    arena.pos += writeUtf8(arena.buf, at, value);
    const b = arena.view(at);
    cv.bytes[code] = b;
    return b;
  }

  /** The whole attribute KeyValue field of a source's code, encoded on first use. */
  encodeSource(src: Source, code: number): Uint8Array {
    const arena = this.arena;
    let b: Uint8Array;
    if (src.entry === null) {
      const cv = src.values;
      const key = src.keyField!;
      const value = cv.bytes[code];
      if (value !== undefined) {
        arena.ensure(key.length + value.length + 16);
        const at = arena.pos;
        const pos = this.kvHeader(arena.buf, at, key, value.length);
        arena.buf.set(value, pos);
        arena.pos = pos + value.length;
        b = arena.view(at);
      } else {
        // one encoding serves both: the value's bytes (for the body) are the KeyValue's tail
        const text = cv.dict[code]!;
        const n = utf8Length(text);
        arena.ensure(key.length + n + 16);
        const at = arena.pos;
        const pos = this.kvHeader(arena.buf, at, key, n);
        arena.pos = pos + writeUtf8(arena.buf, pos, text);
        b = arena.view(at);
        cv.bytes[code] = arena.slice(pos, n);
      }
    } else {
      const kv = src.entry(src.values.dict[code]!);
      if (kv === null) b = NOTHING;
      else {
        // entries repeat across codes (an address family, a direction): one encoding each
        const id = `${kv[0]}\u0000${kv[1]}`;
        const known = src.results.get(id);
        b = known ?? this.putKeyValue(kv[0], kv[1]);
        if (known === undefined) src.results.set(id, b);
      }
    }
    src.kv[code] = b;
    return b;
  }

  /** The severity number and text fields (either left out when 0 or empty). */
  severity(num: number, text: string): Uint8Array {
    const arena = this.arena;
    arena.ensure(text.length * 3 + 24);
    const at = arena.pos;
    arena.pos = writeSeverity(arena.buf, at, num, text);
    return arena.view(at);
  }

  /** A string KeyValue attribute field, encoded into the arena. */
  putKeyValue(key: string, value: string): Uint8Array {
    const k = this.keyField(key);
    const n = Buffer.byteLength(value, 'utf8');
    const arena = this.arena;
    arena.ensure(k.length + n + 16);
    const at = arena.pos;
    const pos = this.kvHeader(arena.buf, at, k, n);
    arena.pos = pos + arena.buf.write(value, pos, 'utf8');
    return arena.view(at);
  }

  /** Writes tag, length, key field and the AnyValue string header of an n-byte value; returns where the value goes. */
  private kvHeader(buf: Buffer, at: number, key: Buffer, n: number): number {
    const any = 1 + varintSize(n) + n;
    let pos = at;
    buf[pos++] = T_LR_ATTR;
    pos = putVarint(buf, pos, key.length + 1 + varintSize(any) + any);
    pos = putBytes(buf, pos, key);
    buf[pos++] = T_KV_VALUE;
    pos = putVarint(buf, pos, any);
    buf[pos++] = T_AV_STRING;
    return putVarint(buf, pos, n);
  }
}

/**
 * The LogRecord's severity number and text fields at `pos` (either left out when 0 or empty);
 * the buffer has room for `text.length * 3 + 24` bytes. Returns the position after them.
 */
export function writeSeverity(buf: Buffer, pos: number, num: number, text: string): number {
  if (num > 0) {
    buf[pos++] = T_LR_SEVERITY;
    pos = putVarint(buf, pos, num);
  }
  if (text) {
    buf[pos++] = T_LR_SEVERITY_TEXT;
    pos = putVarint(buf, pos, Buffer.byteLength(text, 'utf8'));
    pos += buf.write(text, pos, 'utf8');
  }
  return pos;
}
