import { hash } from 'node:crypto';
import type { Column, FlowBatch } from '../batch/flow-batch.js';
import { cellAt } from '../batch/flow-batch.js';
import { findField } from '../fields/catalog.js';
import { CODED_COLUMNS, type CodedColumn, codeColumn } from './coded.js';
import { CID_COLUMN, CID_HI, CID_LO, encodeCommunityId } from './community-id.js';
import { DIM_COLUMNS } from './dim-tables.js';
import { DimShare, type DimValues, encodeDim } from './dims.js';
import { encodePacked, PACKED_COLUMN, PACKED_FIELDS } from './packed.js';
import { ADDR_PAIR_COLUMN, ENRICHMENT_TYPES, type SqlType } from './schema.js';

/**
 * A batch turned into the bytes DuckDB's vectors hold, column by column, so that appending is
 * plain memory copies. Built by the store sink on its own thread and transferred (typed arrays
 * only) to the store's worker, whose DuckDB appends are an ingest's bottleneck; there it is
 * copied into DataChunks slice by slice (append.ts).
 *
 * - INTEGER: int32 per row; BIGINT/TIMESTAMP: int64 per row (two 32-bit words); DOUBLE: float64;
 *   UHUGEINT (uid): 16 bytes per row; UTINYINT/USMALLINT: the codes of coded columns (coded.ts);
 *   UINTEGER: dictionary codes (dims.ts) and `packed_codes` (packed.ts).
 * - VARCHAR: DuckDB's 16-byte string entries. Strings of up to 12 bytes are inline (length, then
 *   the bytes); longer ones (interface ids…) carry length and prefix, are listed by row with a
 *   code into one buffer of their distinct UTF-8 values, and get their pointer when appended
 *   (one call into DuckDB per vector, not per row or value).
 * - UBIGINT `addr_pair_v4`: both addresses of a record as one number when both are IPv4 in
 *   canonical dotted form (see `ipv4Pair`), the key top-talkers groups by.
 * - VARCHAR[]: the lists themselves (rare; filled value by value).
 * - `validity`: one bit per row, set = not NULL, so vector k's mask is bytes [k·256, k·256+256).
 */

export interface EncodedColumn {
  readonly type: SqlType;
  /** Fixed-width entries (absent for VARCHAR[]). */
  readonly data?: ArrayBuffer;
  readonly validity?: Uint8Array;
  /** VARCHAR: rows whose string is too long to inline, in order, and each one's code. */
  readonly longRows?: Int32Array;
  readonly longCodes?: Int32Array;
  /** The distinct long strings as UTF-8: code k is bytes longOffsets[k]..longOffsets[k+1]. */
  readonly longData?: Uint8Array;
  readonly longOffsets?: Int32Array;
  /** VARCHAR[]: the lists. */
  readonly lists?: readonly (readonly string[] | null)[];
  /**
   * A dictionary code column (dims.ts): `data` holds codes local to the batch, these are the
   * values each stands for; the store's worker turns them into the store's codes.
   */
  readonly dimValues?: DimValues;
  /** `packed_codes` (packed.ts): the fields it holds in this batch. */
  readonly packed?: readonly string[];
  /**
   * One value for every row (TIMESTAMP: microseconds since the epoch), set as a constant vector
   * when appended: `ingested_at`, the same for a whole input. No data, no validity.
   */
  readonly constant?: number;
}

export interface EncodedBatch {
  readonly sourceId: string;
  readonly length: number;
  readonly columns: ReadonlyArray<readonly [string, EncodedColumn]>;
}

export interface EncodeContext {
  /** High 64 bits of every uid of the input, as two 32-bit words (high, low). */
  readonly uidHigh: readonly [number, number];
  /** Microseconds since the epoch. */
  readonly ingestedAt: number;
}

const INLINE_BYTES = 12;
const TWO_32 = 4294967296;

/** The type a column gets in `flow_records`: the catalog's, flowlens's for known enrichments, else by kind. */
export function columnType(name: string, col: Column): SqlType {
  const field = findField(name);
  if (field?.known) return field.type === 'int32' ? 'INTEGER' : field.type === 'int64' ? 'BIGINT' : 'VARCHAR';
  const known = ENRICHMENT_TYPES[name];
  if (known) return known;
  return col.kind === 'list' ? 'VARCHAR[]' : col.kind === 'num' ? 'DOUBLE' : 'VARCHAR';
}

/**
 * `stored`: the types of the table's columns, when known. A coded column (coded.ts) goes as
 * codes unless the table holds it as text or one of its values has no code.
 */
export function encodeBatch(
  batch: FlowBatch,
  ctx: EncodeContext,
  stored?: ReadonlyMap<string, string>,
): EncodedBatch {
  const n = batch.length;
  const columns: Array<readonly [string, EncodedColumn]> = [];
  // Columns stored in another form: places, ASes and infrastructure ids as codes into per-store
  // dictionaries (dims.ts), the columns from fixed tables as one number (packed.ts).
  const folded = new Set<string>();
  const share = new DimShare();
  for (const def of DIM_COLUMNS) {
    const cols = def.fields.map((f) => batch.column(f));
    if (cols.every((c) => c === undefined)) continue;
    const dim = encodeDim(def, cols, n, share);
    if (!dim) continue;
    columns.push([def.name, dim]);
    for (const f of def.fields) folded.add(f);
  }
  const packed = encodePacked(
    PACKED_FIELDS.map((f) => batch.column(f)),
    n,
  );
  if (packed) {
    columns.push([PACKED_COLUMN, packed.column]);
    for (const f of packed.fields) folded.add(f);
  }
  const add = (name: string, col: Column): void => {
    // The store derives record_uid from `uid`.
    if (name === 'record_uid' || folded.has(name)) return;
    if (name === CID_COLUMN) {
      const cid = encodeCommunityId(col, n, (c) => encodeColumn(c, 'VARCHAR', n));
      if (cid) {
        columns.push([CID_HI, cid.hi], [CID_LO, cid.lo]);
        if (cid.text) columns.push([CID_COLUMN, cid.text]);
        return;
      }
    }
    const coded = CODED_COLUMNS.get(name);
    const type = stored?.get(name);
    if (coded && (type === undefined || type === coded.type)) {
      const c = codeColumn(coded, col, n);
      if (c) {
        columns.push([name, { type: coded.type, data: c.codes.buffer as ArrayBuffer, validity: c.validity }]);
        return;
      }
    }
    columns.push([name, encodeColumn(col, columnType(name, col), n)]);
  };
  for (let i = 0; i < batch.fields.length; i++) add(batch.fields[i]!.column, batch.columns[i]!);
  for (const [name, col] of batch.extra) add(name, col);
  const pair = pairColumn(batch.column('srcaddr'), batch.column('dstaddr'), n);
  if (pair) columns.push([ADDR_PAIR_COLUMN, pair]);
  columns.push(['uid', uidColumn(batch, ctx)]);
  columns.push(['position', int64Column(batch.positions, n, 1, 'BIGINT')]);
  columns.push(['ingested_at', { type: 'TIMESTAMP', constant: ctx.ingestedAt }]);
  return { sourceId: batch.source.id, length: n, columns };
}

/**
 * A coded column (coded.ts) as text entries, for a table that holds the column as text: the
 * batch was encoded before the store converted the column (encoding runs on the main thread).
 */
export function codedAsText(def: CodedColumn, col: EncodedColumn, n: number): EncodedColumn {
  const codes = def.type === 'UTINYINT' ? new Uint8Array(col.data!) : new Uint16Array(col.data!);
  const valid = (i: number): boolean => !col.validity || (col.validity[i >> 3]! & (1 << (i & 7))) !== 0;
  if (def.textType === 'VARCHAR[]') {
    const lists = Array.from({ length: n }, (_, i) =>
      valid(i) ? (def.values[codes[i]!] as readonly string[]) : null,
    );
    return encodeColumn({ kind: 'list', values: lists }, 'VARCHAR[]', n);
  }
  // Dictionary code k + 1 stands for table code k.
  const dict = ['', ...def.values.map((v) => (typeof v === 'string' ? v : ''))];
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) if (valid(i)) out[i] = codes[i]! + 1;
  return encodeColumn({ kind: 'str', codes: out, dict }, 'VARCHAR', n);
}

/** Every buffer of an encoded batch, once each: what posting it to the store worker transfers. */
export function transferList(batch: EncodedBatch): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const [, c] of batch.columns) {
    if (c.data) out.add(c.data);
    for (const a of [c.validity, c.longRows, c.longCodes, c.longData, c.longOffsets]) {
      if (a) out.add(a.buffer as ArrayBuffer);
    }
    for (const v of c.dimValues ?? []) if (v instanceof Float64Array) out.add(v.buffer as ArrayBuffer);
  }
  return [...out];
}

export function encodeColumn(col: Column, type: SqlType, n: number): EncodedColumn {
  switch (type) {
    case 'INTEGER':
      return int32Column(numbers(col, n), n);
    case 'BIGINT':
    case 'TIMESTAMP':
      return int64Column(numbers(col, n), n, 1, type);
    case 'DOUBLE': {
      const values = numbers(col, n);
      return { type, data: values.slice(0, n).buffer, validity: validityOf(values, n) };
    }
    case 'VARCHAR[]':
      return { type, lists: col.kind === 'list' ? col.values.slice(0, n) : new Array(n).fill(null) };
    default:
      return { type: 'VARCHAR', ...textEntries(col, n) };
  }
}

function numbers(col: Column, n: number): Float64Array {
  if (col.kind === 'num') return col.values;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = cellAt(col, i);
    const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    out[i] = Number.isFinite(x) ? x : Number.NaN;
  }
  return out;
}

function validityOf(values: Float64Array, n: number): Uint8Array {
  const mask = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
  for (let i = 0; i < n; i++) if (Number.isNaN(values[i]!)) mask[i >> 3]! &= ~(1 << (i & 7));
  return mask;
}

function int32Column(values: Float64Array, n: number): EncodedColumn {
  const out = new Int32Array(n);
  // Converted natively, as by assignment: NaN (NULL, masked by validity) becomes 0.
  out.set(values.subarray(0, n));
  return { type: 'INTEGER', data: out.buffer, validity: validityOf(values, n) };
}

/** Whole numbers below 2^53 (times `scale`) as little-endian int64, from two 32-bit halves. */
function int64Column(
  values: Float64Array,
  n: number,
  scale: number,
  type: 'BIGINT' | 'TIMESTAMP',
): EncodedColumn {
  const out = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    let v = values[i]!;
    if (Number.isNaN(v)) continue; // NULL
    if (scale !== 1) v = Math.trunc(v * scale);
    if (v >= 0 && v < TWO_32) {
      // The high word stays 0; assignment wraps the low word into int32 bits.
      out[2 * i] = v;
      continue;
    }
    v = Math.trunc(v);
    const hi = Math.floor(v / TWO_32);
    out[2 * i] = v - hi * TWO_32;
    out[2 * i + 1] = hi;
  }
  return { type, data: out.buffer, validity: validityOf(values, n) };
}

function uidColumn(batch: FlowBatch, ctx: EncodeContext): EncodedColumn {
  const n = batch.length;
  const out = new Int32Array(4 * n);
  const [hi, lo] = ctx.uidHigh;
  const ids = batch.recordIds;
  for (let i = 0; i < n; i++) {
    const id = ids?.[i];
    let low0: number;
    let low1: number;
    if (id) {
      const h = hash('sha1', id, 'buffer');
      low1 = h.readUInt32BE(0);
      low0 = h.readUInt32BE(4);
    } else {
      const p = Math.max(0, Math.trunc(batch.positions[i]!));
      low1 = Math.floor(p / TWO_32);
      low0 = p - low1 * TWO_32;
    }
    // duckdb_uhugeint: the lower 64 bits first, then the upper; each little-endian.
    out[4 * i] = low0;
    out[4 * i + 1] = low1;
    out[4 * i + 2] = lo;
    out[4 * i + 3] = hi;
  }
  return { type: 'UHUGEINT', data: out.buffer };
}

/**
 * The distinct long strings of a column, as UTF-8 in one growing buffer: code k is bytes
 * offsets[k]..offsets[k+1]. Each row holding one is listed (row, code); its 16-byte entry
 * already carries the length and 4-byte prefix, the appender patches in the pointer.
 */
class LongStrings {
  /** Rows holding a long string, and each one's code: at most one per row of the batch. */
  private rows: Int32Array | undefined;
  private codes: Int32Array | undefined;
  private count = 0;
  private bytes = new Uint8Array(4096);
  private used = 0;
  private readonly offsets: number[] = [0];

  /**
   * Writes `text` as a string entry into `words` at word `w`: inline when it takes at most 12
   * bytes, else length and prefix, with the bytes kept here. Returns the long code, or -1.
   */
  entry(text: string, words: Int32Array, w: number): number {
    const start = this.used;
    const end = this.write(text);
    const len = end - start;
    const b = this.bytes;
    words[w] = len;
    if (len <= INLINE_BYTES) {
      // Inline: the 12 bytes after the length, zero-padded; nothing stays in the buffer.
      for (let k = 0; k < 3; k++) {
        const o = start + 4 * k;
        words[w + 1 + k] =
          (o < end ? b[o]! : 0) |
          (o + 1 < end ? b[o + 1]! << 8 : 0) |
          (o + 2 < end ? b[o + 2]! << 16 : 0) |
          (o + 3 < end ? b[o + 3]! << 24 : 0);
      }
      this.used = start;
      return -1;
    }
    words[w + 1] = b[start]! | (b[start + 1]! << 8) | (b[start + 2]! << 16) | (b[start + 3]! << 24);
    words[w + 2] = 0;
    words[w + 3] = 0;
    this.used = end;
    this.offsets.push(end);
    return this.offsets.length - 2;
  }

  constructor(private readonly batchRows: number) {}

  use(row: number, code: number): void {
    this.rows ??= new Int32Array(this.batchRows);
    this.codes ??= new Int32Array(this.batchRows);
    this.rows[this.count] = row;
    this.codes[this.count++] = code;
  }

  columnParts(): Pick<EncodedColumn, 'longRows' | 'longCodes' | 'longData' | 'longOffsets'> {
    if (this.count === 0 || !this.rows || !this.codes) return {};
    return {
      longRows: this.rows.slice(0, this.count),
      longCodes: this.codes.slice(0, this.count),
      longData: this.bytes.slice(0, this.used),
      longOffsets: Int32Array.from(this.offsets),
    };
  }

  /** Appends `text` as UTF-8 (ASCII byte by byte, the rest through Buffer); returns the end offset. */
  private write(text: string): number {
    const n = text.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.used + 3 * n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.used + 3 * n));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    const b = this.bytes;
    let at = this.used;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) return this.used + Buffer.from(b.buffer, b.byteOffset + this.used).write(text, 'utf8');
      b[at++] = c;
    }
    return at;
  }
}

/** 16-byte string entries for every row, encoded once per distinct dictionary value. */
function textEntries(col: Column, n: number): Omit<EncodedColumn, 'type'> {
  const out = new Int32Array(4 * n);
  const validity = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
  const long = new LongStrings(n);
  if (col.kind === 'str') {
    const { words, longCode } = encodeDictionary(col.dict, long);
    const codes = col.codes;
    for (let i = 0; i < n; i++) {
      const code = codes[i]!;
      if (code === 0) {
        validity[i >> 3]! &= ~(1 << (i & 7));
        continue;
      }
      const lc = longCode[code]!;
      if (lc >= 0) long.use(i, lc);
      const w = 4 * code;
      const o = 4 * i;
      out[o] = words[w]!;
      out[o + 1] = words[w + 1]!;
      out[o + 2] = words[w + 2]!;
      out[o + 3] = words[w + 3]!;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = cellAt(col, i);
      if (v === null) {
        validity[i >> 3]! &= ~(1 << (i & 7));
        continue;
      }
      const lc = long.entry(Array.isArray(v) ? v.join(',') : String(v), out, 4 * i);
      if (lc >= 0) long.use(i, lc);
    }
  }
  return { data: out.buffer, validity, ...long.columnParts() };
}

/** Entries per dictionary code (long ones without their pointer), and each long value's code in `long` (else -1). */
function encodeDictionary(
  dict: readonly string[],
  long: LongStrings,
): { words: Int32Array; longCode: Int32Array } {
  const words = new Int32Array(dict.length * 4);
  const longCode = new Int32Array(dict.length).fill(-1);
  for (let code = 1; code < dict.length; code++) longCode[code] = long.entry(dict[code]!, words, 4 * code);
  return { words, longCode };
}

/**
 * `addr_pair_v4` for every row: source address in the high 32 bits, destination in the low,
 * NULL unless both are canonical dotted IPv4. Parsed once per dictionary value.
 */
function pairColumn(src: Column | undefined, dst: Column | undefined, n: number): EncodedColumn | undefined {
  if (src?.kind !== 'str' || dst?.kind !== 'str') return undefined;
  const srcInt = dictionaryIpv4(src.dict);
  const dstInt = dictionaryIpv4(dst.dict);
  const out = new Int32Array(2 * n);
  const validity = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
  const sc = src.codes;
  const dc = dst.codes;
  const srcOk = srcInt.ok;
  const dstOk = dstInt.ok;
  const srcBits = srcInt.bits;
  const dstBits = dstInt.bits;
  for (let i = 0; i < n; i++) {
    const a = sc[i]!;
    const b = dc[i]!;
    if ((srcOk[a]! & dstOk[b]!) === 0) {
      validity[i >> 3]! &= ~(1 << (i & 7));
      continue;
    }
    // Little-endian uint64: the low word (destination) first.
    out[2 * i] = dstBits[b]!;
    out[2 * i + 1] = srcBits[a]!;
  }
  return { type: 'UBIGINT', data: out.buffer, validity };
}

/**
 * Each dictionary value as IPv4 bits (int32, as the pair's words take them) and whether it is
 * one (0 for NULL, IPv6, anything not canonical). Integer arrays keep the per-row loop on
 * small integers: reading the address as a double and converting it per row cost about
 * 80 ms per 1M records.
 */
function dictionaryIpv4(dict: readonly string[]): { bits: Int32Array; ok: Uint8Array } {
  const bits = new Int32Array(dict.length);
  const ok = new Uint8Array(dict.length);
  for (let code = 1; code < dict.length; code++) {
    const v = ipv4Number(dict[code]!);
    if (v < 0) continue;
    bits[code] = v | 0;
    ok[code] = 1;
  }
  return { bits, ok };
}

/**
 * A canonical dotted IPv4 address (four decimal octets 0–255, no leading zeros) as a number,
 * else -1. Only canonical text qualifies, so the number turns back into exactly the same text.
 */
export function ipv4Number(text: string): number {
  const len = text.length;
  if (len < 7 || len > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || octet > 255) return -1;
      value = value * 256 + octet;
      dots++;
      octet = 0;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57) return -1;
    if (digits > 0 && octet === 0) return -1; // leading zero
    octet = octet * 10 + (c - 48);
    if (++digits > 3) return -1;
  }
  return dots === 4 ? value : -1;
}
