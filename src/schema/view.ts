import { type Column, type FlowBatch, numAt, strAt } from '../batch/flow-batch.js';

/**
 * Columns of one batch looked up by name once, so mapping a row reads typed arrays directly.
 * Every schema keeps one view per batch (a WeakMap), built on first use.
 */
export class BatchView {
  private readonly cols = new Map<string, Column | undefined>();

  constructor(readonly batch: FlowBatch) {}

  col(name: string): Column | undefined {
    if (this.cols.has(name)) return this.cols.get(name);
    const c = this.batch.column(name);
    this.cols.set(name, c);
    return c;
  }

  str(name: string, i: number): string | null {
    const c = this.col(name);
    return c ? strAt(c, i) : null;
  }

  num(name: string, i: number): number | null {
    const c = this.col(name);
    return c ? numAt(c, i) : null;
  }

  /** The original source address: pkt-srcaddr when present, else srcaddr. */
  srcAddr(i: number): string | null {
    return this.str('pkt_srcaddr', i) ?? this.str('srcaddr', i);
  }

  dstAddr(i: number): string | null {
    return this.str('pkt_dstaddr', i) ?? this.str('dstaddr', i);
  }
}

const views = new WeakMap<FlowBatch, BatchView>();

export function viewOf(batch: FlowBatch): BatchView {
  let v = views.get(batch);
  if (!v) {
    v = new BatchView(batch);
    views.set(batch, v);
  }
  return v;
}

/** Unix seconds as an RFC 3339 UTC timestamp. */
export function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** IPv6 when the address has a colon, else IPv4 (for network.type when `type` is absent). */
export function addressFamily(address: string | null): 'ipv4' | 'ipv6' | null {
  if (address === null) return null;
  return address.includes(':') ? 'ipv6' : 'ipv4';
}

/**
 * Columns every schema maps by rule rather than by its table: the endpoints (the packet-level
 * address when present, else the interface-side one) and the protocol.
 */
export const ENDPOINT_RULE_COLUMNS = [
  'srcaddr',
  'dstaddr',
  'pkt_srcaddr',
  'pkt_dstaddr',
  'protocol',
  'protocol_name',
] as const;
