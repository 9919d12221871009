import { recordUid } from '../../enrich/record-uid.js';
import { DistinctCounter } from '../distinct.js';
import type { Hit, RuleInfo } from '../types.js';
import type { BatchView, Sample } from '../view.js';
import type { DistinctPart, KeyPart } from './parts.js';
import type { StreamRule } from './rule.js';

export type Measure =
  | { readonly kind: 'count' | 'bytes' | 'packets' }
  | { readonly kind: 'distinct'; readonly of: DistinctPart };

/** Writes the indexes of the rows the rule looks at into `rows`; returns how many. */
export type RowSelector = (view: BatchView, rows: Uint32Array) => number;

export interface GroupRuleSpec {
  readonly info: RuleInfo;
  readonly select: RowSelector;
  readonly key: readonly KeyPart[];
  readonly measure: Measure;
  /** The measure must reach this in one window. */
  readonly threshold: number;
  /** Groups one window may hold; rows of further groups are counted as dropped. */
  readonly maxGroups: number;
  /**
   * A baseline the value must also exceed `factor` times: the median of the same window on
   * previous days (from the store). Without one for a key, the threshold alone decides.
   */
  readonly baseline?: { readonly factor: number; readonly source: BaselineSource };
  /** Extra facts for the alert from the group (e.g. how many rows were bare SYNs). */
  describe?(group: Group): Readonly<Record<string, unknown>>;
}

const SAMPLES = 3;

/** Baselines by rule, key and window start (Unix seconds); undefined where none is known. */
export interface BaselineSource {
  lookup(rule: string, key: string, windowStart: number): number | undefined;
}

/** One key's totals in one window. */
export class Group {
  count = 0;
  bytes = 0;
  packets = 0;
  /** Bare SYNs and rejected rows among them (scan confidence). */
  attempts = 0;
  first = Number.POSITIVE_INFINITY;
  last = Number.NEGATIVE_INFINITY;
  readonly distinct: DistinctCounter | null;
  /** The first rows' uids, or what makes them: uids are made only for hits (made on first use). */
  samples: Sample[] | null = null;

  constructor(
    /** The key's parts joined by `|`. */
    readonly key: string,
    /** The window the group belongs to. */
    readonly window: number,
    distinct: boolean,
  ) {
    this.distinct = distinct ? new DistinctCounter() : null;
  }
}

/**
 * The rule shape every threshold detection shares: select rows, group them by key in tumbling
 * windows of record time, fire when the measure reaches the threshold. Memory: the open windows'
 * groups (at most `maxGroups` each), a distinct counter of at most 1 KiB per group.
 */
export class GroupRule implements StreamRule {
  late = 0;
  dropped = 0;
  private readonly windows = new Map<number, Map<string, Group>>();
  /** Windows ending at or before this are closed. */
  private closedUpTo = Number.NEGATIVE_INFINITY;
  private rows = new Uint32Array(0);
  /** Groups by per-batch key, cleared for every batch (null: the window was full). */
  private readonly cache = new Map<number | string, Group | null>();
  private readonly numericKey: boolean;
  private readonly shifts: number[];
  private readonly windowSeconds: number;

  constructor(private readonly spec: GroupRuleSpec) {
    this.windowSeconds = spec.info.windowSeconds;
    let bits = 0;
    this.shifts = spec.key.map((p) => {
      const at = 2 ** bits;
      bits += p.bits;
      return at;
    });
    this.numericKey = bits <= 52;
  }

  get info(): RuleInfo {
    return this.spec.info;
  }

  observe(v: BatchView): void {
    if (this.rows.length < v.n) this.rows = new Uint32Array(v.n);
    const rows = this.rows;
    const m = this.spec.select(v, rows);
    if (m === 0) return;
    const spec = this.spec;
    const parts = spec.key;
    const w = this.windowSeconds;
    const cache = this.cache;
    cache.clear();
    const measure = spec.measure;
    const distinct = measure.kind === 'distinct' ? measure.of : null;
    for (let k = 0; k < m; k++) {
      const i = rows[k]!;
      const t = v.time[i]!;
      if (Number.isNaN(t)) continue;
      const ws = Math.floor(t / w) * w;
      if (ws + w <= this.closedUpTo) {
        this.late++;
        continue;
      }
      let key: number | string;
      if (this.numericKey) {
        key = 0;
        for (let p = 0; p < parts.length; p++) key += parts[p]!.code(v, i) * this.shifts[p]!;
      } else {
        key = '';
        for (let p = 0; p < parts.length; p++) key += `${p ? '|' : ''}${parts[p]!.code(v, i)}`;
      }
      let g = cache.get(key);
      if (g === undefined || (g !== null && g.window !== ws)) {
        g = this.group(v, i, ws);
        cache.set(key, g);
      }
      if (g === null) {
        this.dropped++;
        continue;
      }
      g.count++;
      const b = v.bytes[i]!;
      if (!Number.isNaN(b)) g.bytes += b;
      const p = v.packets[i]!;
      if (!Number.isNaN(p)) g.packets += p;
      if (v.synOnly[i] === 1 || v.action[i] === 2) g.attempts++;
      const s = v.start[i]!;
      const first = Number.isNaN(s) ? t : s;
      if (first < g.first) g.first = first;
      if (t > g.last) g.last = t;
      if (g.samples === null) g.samples = [v.sample(i)];
      else if (g.samples.length < SAMPLES) g.samples.push(v.sample(i));
      if (distinct) g.distinct!.add(distinct.value(v, i));
    }
  }

  /** The group of row i's key in window ws, made on first use; null when the window is full. */
  private group(v: BatchView, i: number, ws: number): Group | null {
    let window = this.windows.get(ws);
    if (!window) {
      window = new Map();
      this.windows.set(ws, window);
    }
    let text = '';
    for (let p = 0; p < this.spec.key.length; p++) {
      const part = this.spec.key[p]!;
      const value = part.text(v, part.code(v, i));
      text += p ? `|${value}` : value;
    }
    let g = window.get(text);
    if (!g) {
      if (window.size >= this.spec.maxGroups) return null;
      g = new Group(text, ws, this.spec.measure.kind === 'distinct');
      window.set(text, g);
    }
    return g;
  }

  close(upTo: number, hit: (h: Hit) => void): void {
    const w = this.windowSeconds;
    const due = [...this.windows.keys()].filter((ws) => ws + w <= upTo).sort((a, b) => a - b);
    for (const ws of due) {
      const window = this.windows.get(ws)!;
      this.windows.delete(ws);
      for (const g of window.values()) {
        const value = this.value(g);
        if (value < this.spec.threshold) continue;
        const b = this.spec.baseline;
        const base = b?.source.lookup(this.spec.info.id, g.key, ws);
        if (b && base !== undefined && value < b.factor * base) continue;
        hit({
          rule: this.spec.info,
          key: g.key,
          group: this.parts(g.key),
          first: g.first,
          last: g.last,
          count: g.count,
          bytes: g.bytes,
          packets: g.packets,
          sampleUids: (g.samples ?? []).map((s) => (typeof s === 'string' ? s : recordUid(s[0], s[1], s[2]))),
          measure: this.measureName(),
          value,
          threshold: this.spec.threshold,
          extra: {
            window_start: new Date(ws * 1000).toISOString(),
            ...(g.distinct?.approximate ? { approximate: true } : {}),
            ...(base !== undefined ? { baseline: base, baseline_factor: b!.factor } : {}),
            ...this.spec.describe?.(g),
          },
        });
      }
    }
    if (upTo > this.closedUpTo && Number.isFinite(upTo)) this.closedUpTo = upTo;
  }

  /** The key's parts by name (values never hold `|`: addresses, ports, ids, codes). */
  private parts(key: string): Record<string, string> {
    const values = key.split('|');
    const out: Record<string, string> = {};
    this.spec.key.forEach((p, k) => {
      out[p.name] = values[k] ?? '-';
    });
    return out;
  }

  private value(g: Group): number {
    const m = this.spec.measure;
    if (m.kind === 'distinct') return g.distinct!.count;
    return m.kind === 'count' ? g.count : m.kind === 'bytes' ? g.bytes : g.packets;
  }

  private measureName(): string {
    const m = this.spec.measure;
    return m.kind === 'distinct' ? `distinct ${m.of.name}` : m.kind;
  }
}
