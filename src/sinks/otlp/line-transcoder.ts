import {
  C_AREAS,
  C_BODY,
  C_CHECKS,
  C_DST_KEY,
  C_F_ACCOUNT,
  C_F_ACTION,
  C_F_DST,
  C_F_PROTO,
  C_F_REGION,
  C_F_SRC,
  C_F_STATUS,
  C_F_TIME0,
  C_F_TIME1,
  C_FAMILY4,
  C_FAMILY6,
  C_GROUP_KEYS,
  C_GROUPS,
  C_HEADERS,
  C_KINDS,
  C_LAST_GROUP,
  C_LINENO,
  C_MAX_GROUPS,
  C_MAX_RECORDS,
  C_NCHECKS,
  C_NFIELDS,
  C_NGROUPS,
  C_NOPS,
  C_OBSERVED,
  C_OPS,
  C_POS_STRIDE,
  C_POSITIONS,
  C_PROTO_NAMES,
  C_PROTO_TRANSPORTS,
  C_RECORD_FIXED,
  C_RECORDS,
  C_RUN_BYTES,
  C_RUN_LIMIT,
  C_SEV_INFO,
  C_SEV_WARN,
  C_SRC_KEY,
  C_STOP,
  C_TIME_KEYS,
  C_TIME_WORDS,
  C_TOKENS,
  CK_ADDRESS,
  CK_BYTES,
  CK_NUMBER,
  CK_TIME,
  CK_WORD,
  CK_WORDS,
  G_ACCOUNT,
  G_BYTES,
  G_NODATA,
  G_POS,
  G_RECORDS,
  G_REGION,
  G_SKIPDATA,
  GROUP_KEY_BYTES,
  OP_INT,
  OP_STR,
} from '../../../asm/lib/otlp-lines-layout.js';
import type { EncodedRecords } from '../../batch/flow-batch.js';
import type { LineTranscoder, TranscodedRun } from '../../core/types.js';
import type { FieldDef } from '../../fields/catalog.js';
import { type OtelLinePlan, otelLinePlan } from '../../schema/otel.js';
import type { SchemaOptions } from '../../schema/types.js';
import { WasmMemory, wasmInstance, wasmModule } from '../../wasm/modules.js';
import { T_AV_STRING, T_KV_KEY, T_KV_VALUE, T_LR_ATTR } from './proto-tags.js';
import { nanosHalves, ProtoWriter, varintSize, writeSeverity } from './proto-writer.js';

/**
 * The OTLP sink's line transcoder (source: asm/otlp-lines.ts): plain record lines become
 * protobuf LogRecords in one pass over their bytes, with no columns, dictionaries or per-code
 * pieces in between. The records are byte for byte what the record writer makes of the same
 * lines (test/sinks/otlp-transcode.test.ts compares them); runs of them travel to the sink
 * as batches with `encoded` set, which it copies into its requests.
 *
 * It is the fast writer's specialised entry for the case it fits (text lines, `--enrich none`,
 * the sink alone): decoding and encoding 200k v2 records took 0.97–1.0 µs of CPU per record
 * this way against 1.51–1.59 through the decoder and the fast writer (alternated runs, same
 * process set-up, 2 cores under load), so it stays.
 */

/** `EncodedRecords.format` of the records this transcoder writes. */
export const LOG_RECORDS = 'otlp/log-records';

/** Accounts (and regions) one run holds apart; a run meeting another one ends. */
const MAX_GROUPS = 32;
/**
 * The first groups' areas hold a whole run (a run of one account fills one group); the later
 * ones a quarter of it, and a run ends when one is full: memory stays a few runs' worth.
 */
const WHOLE_RUN_GROUPS = 4;
const SMALL_GROUP_SHARE = 4;

/** The module's longest line (asm/otlp-lines.ts MAX_LINE); longer ones are the decoder's. */
const MAX_LINE = 7000;
/** Most fields of a layout it takes. */
const MAX_FIELDS = 512;
/** Most bytes a record has beyond its line's bytes (twice: body and values) that it takes. */
const MAX_FIXED = 48 * 1024;

// Memory layout: fixed regions, then the output area, then the input area (which grows).
const CFG = 1024;
const KINDS = 2048;
const TOKENS = KINDS + MAX_FIELDS;
const OPS = TOKENS + MAX_FIELDS * 16;
const GROUPS = OPS + MAX_FIELDS * 16;
const GROUP_KEYS = GROUPS + MAX_GROUPS * G_BYTES;
const PIECES = GROUP_KEYS + MAX_GROUPS * GROUP_KEY_BYTES;
const PIECES_BYTES = 96 * 1024;
const PROTO_TABLES = PIECES + PIECES_BYTES;
const TIME_SLOTS = 4096;
const TIME_KEYS = PROTO_TABLES + 2 * 256 * 8;
const TIME_WORDS = TIME_KEYS + TIME_SLOTS * 8;
const AREA_TABLES = TIME_WORDS + TIME_SLOTS * 8;
const CHECKS = AREA_TABLES + 2 * MAX_GROUPS * 8;
const POSITIONS = CHECKS + MAX_FIELDS * CK_BYTES;
/** Readable bytes after every area the module reads 16 bytes at a time (the input: 64 at a time). */
const PAD = 64;

const FREE: OtlpLineTranscoder[] = [];
const MAX_FREE = 4;

interface TranscoderExports {
  readonly memory: WebAssembly.Memory;
  readonly transcode: (cfg: number, p: number, end: number) => number;
}

export interface LineTranscoderSettings {
  readonly schema: SchemaOptions;
  /** Bytes of records per run: a run fits one request. */
  readonly runBytes: number;
  /** The clock of observedTimeUnixNano, in seconds (tests fix it). */
  readonly now?: () => number;
}

export class OtlpLineTranscoder implements LineTranscoder {
  private readonly mem: WasmMemory;
  private readonly fn: TranscoderExports['transcode'];
  /** Each set's group areas, as the module reads them: (start, end) per group. */
  private readonly areas: readonly [number, number];
  /**
   * Two sets of group areas, used in turn: a run's records stay where the module wrote them
   * (no copy) until the set is needed again, when those its reader has not released yet are
   * copied out.
   */
  private set = 0;
  private readonly handedOut: [RunBytes[], RunBytes[]] = [[], []];
  private readonly maxRecords: number;
  private input = 0;
  private inputCap = 0;
  private loadedLength = 0;
  private plan: OtelLinePlan | null = null;
  private settings: LineTranscoderSettings;

  /** A transcoder for one stream (a released one when there is one), or null without WebAssembly. */
  static acquire(settings: LineTranscoderSettings): OtlpLineTranscoder | null {
    if (wasmModule('otlp-lines') === null) return null;
    const i = FREE.findIndex((t) => t.settings.runBytes === settings.runBytes);
    if (i >= 0) {
      const t = FREE.splice(i, 1)[0]!;
      t.settings = settings;
      t.plan = null;
      return t;
    }
    const exports = wasmInstance<TranscoderExports>('otlp-lines');
    return exports ? new OtlpLineTranscoder(exports, settings) : null;
  }

  private constructor(exports: TranscoderExports, settings: LineTranscoderSettings) {
    this.settings = settings;
    this.mem = new WasmMemory(exports.memory);
    this.fn = exports.transcode;
    const runBytes = settings.runBytes;
    this.maxRecords = Math.ceil(runBytes / 128) + 1;
    const out = (POSITIONS + MAX_GROUPS * this.maxRecords * 8 + 4095) & ~4095;
    // each group's area holds its share of a run, and room for any record after that
    const slack = MAX_FIXED + 2 * MAX_LINE + 4096;
    const sizes = Array.from({ length: MAX_GROUPS }, (_, g) =>
      g < WHOLE_RUN_GROUPS ? runBytes + slack : Math.ceil(runBytes / SMALL_GROUP_SHARE) + slack,
    );
    const padded = sizes.map((b) => (b + 15) & ~15);
    const setBytes = padded.reduce((a, b) => a + b, 0);
    this.input = out + 2 * setBytes;
    this.mem.reserve(this.input);
    let at = out;
    for (let k = 0; k < 2 * MAX_GROUPS; k++) {
      const g = k % MAX_GROUPS;
      this.mem.u32[(AREA_TABLES >> 2) + 2 * k] = at;
      this.mem.u32[(AREA_TABLES >> 2) + 2 * k + 1] = at + sizes[g]!;
      at += padded[g]!;
    }
    this.areas = [AREA_TABLES, AREA_TABLES + MAX_GROUPS * 8];
    this.mem.f64.fill(Number.NaN, TIME_KEYS / 8, TIME_KEYS / 8 + TIME_SLOTS);
    const u32 = this.mem.u32;
    const c = CFG >> 2;
    u32[c + C_RUN_LIMIT / 4] = runBytes;
    u32[c + C_POS_STRIDE / 4] = this.maxRecords;
    u32[c + C_MAX_GROUPS / 4] = MAX_GROUPS;
    u32[c + C_GROUPS / 4] = GROUPS;
    u32[c + C_AREAS / 4] = this.areas[0];
    u32[c + C_POSITIONS / 4] = POSITIONS;
    u32[c + C_TIME_KEYS / 4] = TIME_KEYS;
    u32[c + C_TIME_WORDS / 4] = TIME_WORDS;
    u32[c + C_GROUP_KEYS / 4] = GROUP_KEYS;
    u32[c + C_TOKENS / 4] = TOKENS;
    u32[c + C_KINDS / 4] = KINDS;
    u32[c + C_CHECKS / 4] = CHECKS;
    u32[c + C_OPS / 4] = OPS;
    u32[c + C_PROTO_NAMES / 4] = PROTO_TABLES;
    u32[c + C_PROTO_TRANSPORTS / 4] = PROTO_TABLES + 256 * 8;
  }

  /**
   * The checks of the fields' domains (src/fields/catalog.ts), so that a line with a value
   * outside one goes to the decoder, which reports it. False when a domain cannot be checked here.
   */
  private setChecks(fields: readonly FieldDef[]): boolean {
    const u32 = this.mem.u32;
    const view = new DataView(this.mem.bytes.buffer);
    let n = 0;
    for (let f = 0; f < fields.length; f++) {
      const d = fields[f]!.domain;
      const at = CHECKS + n * CK_BYTES;
      if (d.kind === 'number') {
        u32[at >> 2] = CK_NUMBER;
        view.setBigUint64(at + 8, BigInt(d.max), true);
      } else if (d.kind === 'time') u32[at >> 2] = CK_TIME;
      else if (d.kind === 'address') u32[at >> 2] = CK_ADDRESS;
      else if (d.kind === 'word') {
        if (d.values.length > 3 || d.values.some((w) => w.length > 8)) return false;
        u32[at >> 2] = CK_WORD;
        u32[(at >> 2) + 4] = d.values.length;
        d.values.forEach((w, k) => {
          const we = at + CK_WORDS + k * 16;
          this.mem.bytes.fill(0, we, we + 8);
          this.mem.bytes.write(w, we, 'latin1');
          u32[(we >> 2) + 2] = w.length;
        });
      } else continue;
      u32[(at >> 2) + 1] = f;
      n++;
    }
    u32[(CFG >> 2) + C_NCHECKS / 4] = n;
    return true;
  }

  get pieceBytes(): number {
    // records run up to some eight times the bytes of their lines (short lines, long keys)
    return Math.max(4096, Math.min(128 * 1024, this.settings.runBytes >> 3));
  }

  layout(fields: readonly FieldDef[], headers: boolean, batchSize: number): boolean {
    this.plan = null;
    if (fields.length === 0 || fields.length > MAX_FIELDS) return false;
    const plan = otelLinePlan(fields, this.settings.schema);
    if (plan === null) return false;
    const u32 = this.mem.u32;
    const i32 = this.mem.i32;
    const c = CFG >> 2;
    const pieces = new PieceArena(this.mem, PIECES, PIECES_BYTES);
    const piece = (at: number, bytes: Uint8Array | null): number => {
      const [offset, length] = bytes === null ? [0, 0] : pieces.put(bytes);
      u32[at >> 2] = offset;
      u32[(at >> 2) + 1] = length;
      return length;
    };
    u32[c + C_NFIELDS / 4] = fields.length;
    u32[c + C_HEADERS / 4] = headers ? 1 : 0;
    u32[c + C_MAX_RECORDS / 4] = Math.max(1, Math.min(batchSize, this.maxRecords));
    i32[c + C_F_ACCOUNT / 4] = plan.account;
    i32[c + C_F_REGION / 4] = plan.region;
    i32[c + C_F_ACTION / 4] = plan.action;
    i32[c + C_F_STATUS / 4] = plan.status;
    i32[c + C_F_PROTO / 4] = plan.protocol;
    i32[c + C_F_SRC / 4] = plan.source;
    i32[c + C_F_DST / 4] = plan.destination;
    i32[c + C_F_TIME0 / 4] = plan.time[0] ?? -1;
    i32[c + C_F_TIME1 / 4] = plan.time[1] ?? -1;
    u32[c + C_BODY / 4] = plan.body === 'line' ? 1 : 0;
    for (let f = 0; f < fields.length; f++) this.mem.bytes[KINDS + f] = fields[f]!.type === 'string' ? 0 : 1;
    if (!this.setChecks(fields)) return false;
    // every byte a record has besides its line's (which it holds at most twice)
    let fixed = 3 + 9 + 9 + 8 + 16;
    fixed += Math.max(
      piece(CFG + C_SEV_INFO, severity(plan.severity.other)),
      piece(CFG + C_SEV_WARN, severity(plan.severity.reject)),
    );
    fixed += piece(CFG + C_SRC_KEY, keyField('source.address')) + 8;
    fixed += piece(CFG + C_DST_KEY, keyField('destination.address')) + 8;
    fixed += Math.max(
      piece(CFG + C_FAMILY4, keyValue('network.type', 'ipv4')),
      piece(CFG + C_FAMILY6, keyValue('network.type', 'ipv6')),
    );
    let names = 0;
    let transports = 0;
    for (let v = 0; v < 256; v++) {
      const name = plan.protocolName(v);
      const transport = plan.transport(v);
      names = Math.max(
        names,
        piece(PROTO_TABLES + v * 8, name === null ? null : keyValue('network.protocol.name', name)),
      );
      transports = Math.max(
        transports,
        piece(
          PROTO_TABLES + 256 * 8 + v * 8,
          transport === null ? null : keyValue('network.transport', transport),
        ),
      );
    }
    fixed += names + transports;
    plan.attributes.forEach((a, o) => {
      const w = (OPS >> 2) + o * 4;
      u32[w] = a.kind === 'int' ? OP_INT : OP_STR;
      u32[w + 1] = a.field;
      fixed += piece(OPS + o * 16 + 8, keyField(a.key)) + 16;
    });
    u32[c + C_NOPS / 4] = plan.attributes.length;
    if (fixed > MAX_FIXED) return false;
    u32[c + C_RECORD_FIXED / 4] = fixed;
    this.plan = plan;
    return true;
  }

  load(buf: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n + PAD > this.inputCap) {
      // growing the memory detaches every view of it: records handed out are copied first
      this.detach(0);
      this.detach(1);
      this.inputCap = Math.max(n + PAD, this.inputCap * 2, 1 << 20);
      this.mem.reserve(this.input + this.inputCap);
    }
    const bytes = this.mem.bytes;
    bytes.set(buf.subarray(start, end), this.input);
    bytes.fill(0, this.input + n, this.input + n + PAD);
    this.loadedLength = n;
  }

  run(offset: number, lineNo: number): number {
    const c = CFG >> 2;
    const [lo, hi] = nanosHalves(this.settings.now?.() ?? Date.now() / 1000);
    this.mem.u32[c + C_OBSERVED / 4] = lo >>> 0;
    this.mem.u32[c + C_OBSERVED / 4 + 1] = hi >>> 0;
    this.mem.f64[(CFG + C_LINENO) >> 3] = lineNo;
    return this.fn(CFG, this.input + offset, this.input + this.loadedLength);
  }

  get stoppedAt(): number {
    return this.mem.u32[(CFG + C_STOP) >> 2]! - this.input;
  }

  get lineNo(): number {
    return this.mem.f64[(CFG + C_LINENO) >> 3]!;
  }

  take(): TranscodedRun | null {
    const c = CFG >> 2;
    const u32 = this.mem.u32;
    const f64 = this.mem.f64;
    const bytes = this.mem.bytes;
    const plan = this.plan;
    const groups = u32[c + C_NGROUPS / 4]!;
    const records = u32[c + C_RECORDS / 4]!;
    u32[c + C_NGROUPS / 4] = 0;
    u32[c + C_LAST_GROUP / 4] = 0;
    u32[c + C_RECORDS / 4] = 0;
    u32[c + C_RUN_BYTES / 4] = 0;
    if (plan === null || records === 0) return null;
    const parts: Uint8Array[] = [];
    const rows: number[] = [];
    const accounts: (string | null)[] = [];
    const regions: (string | null)[] = [];
    const positions = new Float64Array(records);
    let at = 0;
    let nodata = 0;
    let skipdata = 0;
    for (let g = 0; g < groups; g++) {
      const e = (GROUPS + g * G_BYTES) >> 2;
      const n = u32[e + G_RECORDS / 4]!;
      if (n === 0) continue;
      const value = (w: number): string | null => {
        const key = u32[e + w / 4]!;
        const s = bytes.toString('latin1', key, key + u32[e + w / 4 + 1]!);
        return s === '-' ? null : s;
      };
      if (plan.account >= 0) accounts.push(value(G_ACCOUNT));
      if (plan.region >= 0) regions.push(value(G_REGION));
      const start = u32[(this.areas[this.set]! >> 2) + g * 2]!;
      const from = POSITIONS / 8 + g * this.maxRecords;
      positions.set(f64.subarray(from, from + n), at);
      at += n;
      parts.push(bytes.subarray(start, u32[e + G_POS / 4]!));
      rows.push(n);
      nodata += u32[e + G_NODATA / 4]!;
      skipdata += u32[e + G_SKIPDATA / 4]!;
    }
    const shared = new Map<string, readonly (string | null)[]>();
    if (plan.account >= 0) shared.set('account_id', accounts);
    if (plan.region >= 0) shared.set('region', regions);
    const encoded = new RunBytes(parts, rows);
    this.handedOut[this.set]!.push(encoded);
    // the next run goes to the other set: what is still unread there is copied out first
    this.set ^= 1;
    this.detach(this.set);
    u32[c + C_AREAS / 4] = this.areas[this.set]!;
    return { records, positions, encoded, shared, nodata, skipdata };
  }

  /** Copies out the unreleased records of a set, so that it can be written again. */
  private detach(set: number): void {
    for (const run of this.handedOut[set]!) run.detach();
    this.handedOut[set] = [];
  }

  release(): void {
    this.take();
    this.detach(0);
    this.detach(1);
    if (FREE.length < MAX_FREE && !FREE.includes(this)) FREE.push(this);
  }
}

/** A run's records as a batch carries them: views of the module's memory until copied out. */
class RunBytes implements EncodedRecords {
  readonly format = LOG_RECORDS;
  private released = false;
  constructor(
    private views: Uint8Array[],
    readonly rows: readonly number[],
  ) {}

  get parts(): readonly Uint8Array[] {
    return this.views;
  }

  release(): void {
    this.released = true;
  }

  /** The memory is about to be reused: a reader still to come gets a copy. */
  detach(): void {
    if (!this.released) this.views = this.views.map((v) => new Uint8Array(v));
    this.released = true;
  }
}

/** Pieces the module copies 16 bytes at a time: each 16-aligned, with 16 readable bytes after. */
class PieceArena {
  private top: number;
  constructor(
    private readonly mem: WasmMemory,
    private readonly base: number,
    private readonly size: number,
  ) {
    this.top = base;
  }

  put(bytes: Uint8Array): [offset: number, length: number] {
    const at = (this.top + 15) & ~15;
    if (at + bytes.length + 16 > this.base + this.size)
      throw new Error('otlp line transcoder: pieces do not fit');
    this.mem.bytes.set(bytes, at);
    this.top = at + bytes.length + 16;
    return [at, bytes.length];
  }
}

/** The `key` field of a KeyValue. */
function keyField(key: string): Uint8Array {
  const w = new ProtoWriter(key.length * 3 + 8);
  w.byte(T_KV_KEY);
  w.string(key);
  return w.buf.subarray(0, w.pos);
}

/** A string attribute: LogRecord.attributes { key, value { string_value } }. */
function keyValue(key: string, value: string): Uint8Array {
  const k = keyField(key);
  const n = Buffer.byteLength(value, 'utf8');
  const av = 1 + varintSize(n) + n;
  const w = new ProtoWriter(k.length + n + 24);
  w.byte(T_LR_ATTR);
  w.varint(k.length + 1 + varintSize(av) + av);
  w.bytes(k);
  w.byte(T_KV_VALUE);
  w.varint(av);
  w.byte(T_AV_STRING);
  w.string(value);
  return w.buf.subarray(0, w.pos);
}

function severity([num, text]: readonly [number, string]): Uint8Array {
  const buf = Buffer.alloc(text.length * 3 + 24);
  return buf.subarray(0, writeSeverity(buf, 0, num, text));
}
