import type { Column, FlowBatch, NumColumn } from '../batch/flow-batch.js';
import { type AddressTable, addressTable } from '../enrich/addresses.js';
import { NC } from '../enrich/network-class.js';

export const ACTION_NONE = 0;
export const ACTION_ACCEPT = 1;
export const ACTION_REJECT = 2;

export const STATUS_OK = 0;
export const STATUS_NODATA = 1;
export const STATUS_SKIPDATA = 2;

/** Address classes on the near side of a VPC boundary (as the network enricher counts them). */
const LOCAL_CLASS = new Uint8Array(16);
for (const c of [NC.private, NC.shared, NC.loopback, NC.linkLocal, NC.unspecified]) LOCAL_CLASS[c] = 1;

/**
 * What every rule reads of one batch, computed once per batch for all of them: typed arrays per
 * row (time, ports, action, direction hints) and address ids into the batch's address table, so
 * rules test bytes and numbers, never build per-record objects. Addresses are the original
 * endpoints (pkt-srcaddr/pkt-dstaddr where present), as the network enricher uses them.
 */
export class BatchView {
  readonly n: number;
  /** Record time: `end`, else `start`; NaN when neither. */
  readonly time: Float64Array;
  readonly start: Float64Array;
  readonly proto: Float64Array;
  readonly sport: Float64Array;
  readonly dport: Float64Array;
  readonly bytes: Float64Array;
  readonly packets: Float64Array;
  readonly flags: Float64Array;
  /** Ports as whole numbers, 65536 where the row has none: an index into a 65537-entry port table. */
  readonly dportCode: Uint32Array;
  /** The protocol number, 256 where the row has none. */
  readonly protoCode: Uint32Array;
  readonly action: Uint8Array;
  readonly status: Uint8Array;
  /**
   * 1 when the row looks like the initiator's side of a flow (client → server): SYN without ACK,
   * else the destination port below the source port. Responses and SYN-ACKs are 0.
   */
  readonly forward: Uint8Array;
  /** 1 for a bare SYN (SYN without ACK): a connection attempt. */
  readonly synOnly: Uint8Array;
  readonly table: AddressTable;
  readonly srcId: Uint32Array;
  readonly dstId: Uint32Array;
  /** 1 when the address id is local (private, shared, link-local …), per id. */
  readonly localId: Uint8Array;
  /** 1 when the address id is public, per id. */
  readonly publicId: Uint8Array;
  private readonly strings = new Map<string, { codes: Uint32Array; dict: readonly string[] } | null>();
  private readonly memos = new Map<string, unknown>();

  constructor(readonly batch: FlowBatch) {
    const n = batch.length;
    this.n = n;
    const end = numbers(batch.column('end'), n);
    this.start = numbers(batch.column('start'), n);
    const time = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const e = end[i]!;
      time[i] = Number.isNaN(e) ? this.start[i]! : e;
    }
    this.time = time;
    this.proto = numbers(batch.column('protocol'), n);
    this.sport = numbers(batch.column('srcport'), n);
    this.dport = numbers(batch.column('dstport'), n);
    this.bytes = numbers(batch.column('bytes'), n);
    this.packets = numbers(batch.column('packets'), n);
    this.flags = numbers(batch.column('tcp_flags'), n);
    this.action = coded(batch.column('action'), n, { ACCEPT: ACTION_ACCEPT, REJECT: ACTION_REJECT });
    this.status = coded(batch.column('log_status'), n, { NODATA: STATUS_NODATA, SKIPDATA: STATUS_SKIPDATA });
    this.dportCode = wholeNumbers(this.dport, n, 65536);
    this.protoCode = wholeNumbers(this.proto, n, 256);
    const forward = new Uint8Array(n);
    const synOnly = new Uint8Array(n);
    const dp = this.dport;
    const sp = this.sport;
    const flags = this.flags;
    // without tcp-flags (format v2) only the ports tell the direction
    const hasFlags = batch.column('tcp_flags')?.kind === 'num';
    for (let i = 0; i < n; i++) {
      const f = hasFlags ? flags[i]! : Number.NaN;
      if (!Number.isNaN(f) && (f & 2) !== 0) {
        const bare = (f & 16) === 0 ? 1 : 0;
        synOnly[i] = bare;
        forward[i] = bare;
      } else {
        forward[i] = dp[i]! <= sp[i]! ? 1 : 0;
      }
    }
    this.forward = forward;
    this.synOnly = synOnly;
    this.table = addressTable(batch);
    this.srcId = this.table.srcIds;
    this.dstId = this.table.dstIds;
    const ids = this.table.values.length;
    this.localId = new Uint8Array(ids);
    this.publicId = new Uint8Array(ids);
    for (let id = 1; id < ids; id++) {
      const c = this.table.classes[id]!;
      this.localId[id] = LOCAL_CLASS[c]!;
      this.publicId[id] = c === NC.public ? 1 : 0;
    }
  }

  /** A string column's codes and dictionary, or null when the batch lacks it. */
  str(name: string): { codes: Uint32Array; dict: readonly string[] } | null {
    let s = this.strings.get(name);
    if (s === undefined) {
      const col = this.batch.column(name);
      s = col && col.kind === 'str' ? { codes: col.codes, dict: col.dict } : null;
      this.strings.set(name, s);
    }
    return s;
  }

  /** Source ports as `dportCode` has destination ports (only user rules read them: made on use). */
  get sportCode(): Uint32Array {
    return this.memo('sport', () => wholeNumbers(this.sport, this.n, 65536));
  }

  /** Per row, 1 when it goes from a local address to a public one (egress leaving the VPC). */
  egress(): Uint8Array {
    return this.memo('egress', () => {
      const out = new Uint8Array(this.n);
      const { srcId, dstId, localId, publicId } = this;
      for (let i = 0; i < this.n; i++) out[i] = localId[srcId[i]!]! & publicId[dstId[i]!]!;
      return out;
    });
  }

  /** The rows of accepted egress from the initiator's side, in row order (new peers, mining pools). */
  egressClients(): Uint32Array {
    return this.memo('egress-clients', () => {
      const egress = this.egress();
      const { action, forward } = this;
      const out = new Uint32Array(this.n);
      let m = 0;
      for (let i = 0; i < this.n; i++) {
        if (egress[i] === 1 && action[i] === ACTION_ACCEPT && forward[i] === 1) out[m++] = i;
      }
      return out.subarray(0, m);
    });
  }

  /**
   * What `make` computes from this batch, made once: per-row codes and tables several rules
   * read (each caller names its value with a key of its own).
   */
  memo<T>(key: string, make: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const value = make();
    this.memos.set(key, value);
    return value;
  }

  /**
   * Row i's record_uid as the batch carries it, for rows without a position in a source (read
   * back from the store); otherwise undefined: the rules keep what makes the uid (source id,
   * position, native id; see enrich/record-uid.ts) for the few rows an alert samples and make it
   * only for groups that fire, rather than hold on to the uid enricher's strings.
   */
  uid(i: number): string | undefined {
    if (!Number.isNaN(this.batch.positions[i]!)) return undefined;
    const uid = this.str('record_uid');
    if (uid === null || uid.codes[i] === 0) return undefined;
    return uid.dict[uid.codes[i]!];
  }
}

function numbers(col: Column | undefined, n: number): Float64Array {
  if (col && col.kind === 'num') return (col as NumColumn).values;
  return new Float64Array(n).fill(Number.NaN);
}

/** Per row, the whole number of `x`, or `none` where it is NaN. */
function wholeNumbers(x: Float64Array, n: number, none: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    out[i] = Number.isNaN(v) ? none : v;
  }
  return out;
}

/** Per row, the code `map` gives the row's text (0 for anything else), looked up once per dictionary entry. */
function coded(col: Column | undefined, n: number, map: Readonly<Record<string, number>>): Uint8Array {
  const out = new Uint8Array(n);
  if (col?.kind !== 'str') return out;
  const byCode = new Uint8Array(col.dict.length);
  for (let c = 1; c < col.dict.length; c++) byCode[c] = map[col.dict[c]!] ?? 0;
  const codes = col.codes;
  for (let i = 0; i < n; i++) out[i] = byCode[codes[i]!]!;
  return out;
}
