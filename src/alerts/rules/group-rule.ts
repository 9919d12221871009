import { grown } from '../../batch/grown.js';
import { recordUid } from '../../enrich/record-uid.js';
import { CodeTable } from '../code-table.js';
import { DistinctCounter, EXACT_LIMIT } from '../distinct.js';
import type { Hit, RuleInfo } from '../types.js';
import type { BatchView } from '../view.js';
import type { DistinctPart, KeyPart, KeyValue } from './parts.js';
import type { StreamRule } from './rule.js';

export type Measure =
  | { readonly kind: 'count' | 'bytes' | 'packets' }
  | { readonly kind: 'distinct'; readonly of: DistinctPart };

/** Writes the indexes of the rows the rule looks at into `rows`; returns how many. */
export type RowSelector = (view: BatchView, rows: Uint32Array) => number;

/** A group's totals as a rule's `describe` sees them (made only for groups that fire). */
export interface GroupTotals {
  readonly count: number;
  /** Bare SYNs and rejected rows among them (scan confidence). */
  readonly attempts: number;
}

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
  describe?(group: GroupTotals): Readonly<Record<string, unknown>>;
}

const SAMPLES = 3;
const INITIAL_SLOTS = 32;

/**
 * Adds part codes to the selected rows' numeric keys: `keys[k] (+)= codes[rows[k]] · shift`
 * (the first part sets them). Shifts are powers of two, so the parts never overlap. One function
 * per array type, so each stays monomorphic.
 */
function addKeyCodes32(
  keys: Float64Array,
  rows: Uint32Array,
  m: number,
  codes: Uint32Array,
  shift: number,
  first: boolean,
): void {
  if (first) for (let k = 0; k < m; k++) keys[k] = codes[rows[k]!]! * shift;
  else for (let k = 0; k < m; k++) keys[k]! += codes[rows[k]!]! * shift;
}

function addKeyCodes64(
  keys: Float64Array,
  rows: Uint32Array,
  m: number,
  codes: Float64Array,
  shift: number,
  first: boolean,
): void {
  if (first) for (let k = 0; k < m; k++) keys[k] = codes[rows[k]!]! * shift;
  else for (let k = 0; k < m; k++) keys[k]! += codes[rows[k]!]! * shift;
}

/**
 * A rule's working arrays for the batch it observes: the selected rows, their keys and distinct
 * values, and the slots it made. Rules observe one at a time, so the thread's rules share one set
 * (a batch of n rows costs 28·n bytes here, whatever the number of rules).
 */
interface Scratch {
  rows: Uint32Array;
  keys: Float64Array;
  distinctValues: Float64Array;
  /** Slots made for the batch, by window, slot and row: their key values are filled in last. */
  readonly newWindows: (Window | null)[];
  newSlots: Int32Array;
  newRows: Uint32Array;
}

const scratch: Scratch = {
  rows: new Uint32Array(0),
  keys: new Float64Array(0),
  distinctValues: new Float64Array(0),
  newWindows: [],
  newSlots: new Int32Array(0),
  newRows: new Uint32Array(0),
};

function scratchFor(n: number): Scratch {
  if (scratch.rows.length < n) {
    scratch.rows = new Uint32Array(n);
    scratch.keys = new Float64Array(n);
    scratch.distinctValues = new Float64Array(n);
    scratch.newSlots = new Int32Array(n);
    scratch.newRows = new Uint32Array(n);
  }
  return scratch;
}

/** Baselines by rule, key and window start (Unix seconds); undefined where none is known. */
export interface BaselineSource {
  lookup(rule: string, key: string, windowStart: number): number | undefined;
}

/**
 * One window's groups, stored as columns (a slot per group): a window of a scan rule meets
 * hundreds of thousands of (source, destination) pairs, nearly all seen once or twice, and an
 * object per group made the garbage collector the engine's main cost. Rows find their slot by
 * the numeric code of their key (the key parts' codes, valid for one epoch of them); the key's
 * values are kept as references to the batch's strings and numbers, and made into text only for
 * groups that fire (or to find groups again after the parts' codes changed epoch).
 */
class Window {
  size = 0;
  /** Slots by numeric key code (keys of 53 bits or less) … */
  readonly byCode = new CodeTable();
  /** … or by the codes joined as text (wider keys). */
  readonly byCodes = new Map<string, number>();
  /** Slots by key text: made only once the codes of this window's slots went stale. */
  byText: Map<string, number> | null = null;
  /** Codes of keys turned away because the window is full (bounded; see GroupRule.slot). */
  readonly full = new Set<number | string>();
  count = new Float64Array(INITIAL_SLOTS);
  bytes = new Float64Array(INITIAL_SLOTS);
  packets = new Float64Array(INITIAL_SLOTS);
  attempts = new Float64Array(INITIAL_SLOTS);
  first = new Float64Array(INITIAL_SLOTS);
  last = new Float64Array(INITIAL_SLOTS);
  /** Per slot and key part, the part's value (string or number references, no copies). */
  readonly values: KeyValue[][];
  /** The one distinct value of a slot that met only one; NaN before the first. */
  single = new Float64Array(INITIAL_SLOTS).fill(Number.NaN);
  /** Counters of the slots that met two or more distinct values. */
  readonly counters = new Map<number, DistinctCounter>();
  /** Up to SAMPLES rows per slot: their uid, or the source id, position and native id that make it. */
  readonly sampleSource: (string | undefined)[] = [];
  samplePosition = new Float64Array(INITIAL_SLOTS * SAMPLES);
  readonly sampleRecord: (string | undefined)[] = [];
  sampleCount = new Uint8Array(INITIAL_SLOTS);

  constructor(parts: number) {
    this.values = Array.from({ length: parts }, () => []);
  }

  add(): number {
    const s = this.size++;
    if (s === this.count.length) {
      const n = s * 2;
      this.count = grown(this.count, n);
      this.bytes = grown(this.bytes, n);
      this.packets = grown(this.packets, n);
      this.attempts = grown(this.attempts, n);
      this.first = grown(this.first, n);
      this.last = grown(this.last, n);
      this.single = grown(this.single, n, Number.NaN);
      this.samplePosition = grown(this.samplePosition, n * SAMPLES);
      this.sampleCount = grown(this.sampleCount, n);
    }
    this.count[s] = 0;
    this.bytes[s] = 0;
    this.packets[s] = 0;
    this.attempts[s] = 0;
    this.first[s] = Number.POSITIVE_INFINITY;
    this.last[s] = Number.NEGATIVE_INFINITY;
    this.single[s] = Number.NaN;
    this.sampleCount[s] = 0;
    return s;
  }

  /** Empties the window for reuse by a later one (its arrays keep their size). */
  reset(): void {
    this.size = 0;
    this.byCode.clear();
    this.byCodes.clear();
    this.byText = null;
    this.full.clear();
    this.counters.clear();
    // the arrays keep their length (regrowing them for every window was most of the engine's
    // garbage); the references they hold are let go
    for (const v of this.values) v.fill('');
    this.sampleSource.fill(undefined);
    this.sampleRecord.fill(undefined);
  }

  /** Slots it has room for without growing. */
  get capacity(): number {
    return this.count.length;
  }
}

/** A closed window is kept for a later one when it is at most this large (slots)… */
const REUSE_SLOTS = 1 << 16;
/** … and fewer than this many are kept (a batch often opens and closes several windows). */
const SPARE_WINDOWS = 8;

/**
 * The rule shape every threshold detection shares: select rows, group them by key in tumbling
 * windows of record time, fire when the measure reaches the threshold. Memory: the open windows'
 * groups (at most `maxGroups` each, about 150 bytes apiece), a distinct counter of at most
 * 1 KiB for groups that met several values.
 */
export class GroupRule implements StreamRule {
  late = 0;
  dropped = 0;
  private readonly windows = new Map<number, Window>();
  /** Closed windows kept for reuse: windows open and close all the time, each as big as the last. */
  private readonly spare: Window[] = [];
  /** Windows ending at or before this are closed. */
  private closedUpTo = Number.NEGATIVE_INFINITY;
  private readonly numericKey: boolean;
  private readonly shifts: number[];
  private readonly epochs: number[];
  private readonly windowSeconds: number;
  private readonly select: RowSelector;
  private readonly parts: readonly KeyPart[];
  private readonly distinct: DistinctPart | null;
  private readonly measureKind: Measure['kind'];
  private readonly threshold: number;
  private readonly maxGroups: number;

  constructor(private readonly spec: GroupRuleSpec) {
    this.windowSeconds = spec.info.windowSeconds;
    // what the row loop reads, as fields of the rule: every rule then has the same shape, where
    // specs differ (optional parts), so the loop's code serves all of them without deopting
    this.select = spec.select;
    this.parts = spec.key;
    this.distinct = spec.measure.kind === 'distinct' ? spec.measure.of : null;
    this.measureKind = spec.measure.kind;
    this.threshold = spec.threshold;
    this.maxGroups = spec.maxGroups;
    let bits = 0;
    this.shifts = spec.key.map((p) => {
      const at = 2 ** bits;
      bits += p.bits;
      return at;
    });
    this.numericKey = bits <= 53;
    this.epochs = spec.key.map(() => Number.NaN);
  }

  get info(): RuleInfo {
    return this.spec.info;
  }

  observe(v: BatchView): void {
    const work = scratchFor(v.n);
    const rows = work.rows;
    const m = this.select(v, rows);
    if (m === 0) return;
    const parts = this.parts;
    let stale = false;
    for (let p = 0; p < parts.length; p++) {
      const e = parts[p]!.epoch(v);
      if (e !== this.epochs[p]) {
        this.epochs[p] = e;
        stale = true;
      }
    }
    if (stale) for (const window of this.windows.values()) this.restale(window);
    // The selected rows' keys and distinct values first, a part at a time; then the row loop,
    // which calls no part and no rule-specific code (one shape of everything it reads, so V8's
    // code for it serves every rule without deoptimizing); then the values of the new slots.
    const codes = parts.map((p) => p.codes(v));
    const keys = work.keys;
    let wide: string[] | null = null;
    if (this.numericKey) {
      for (let p = 0; p < parts.length; p++) {
        const c = codes[p]!;
        const shift = this.shifts[p]!;
        if (c instanceof Float64Array) addKeyCodes64(keys, rows, m, c, shift, p === 0);
        else addKeyCodes32(keys, rows, m, c, shift, p === 0);
      }
    } else {
      wide = new Array<string>(m);
      for (let k = 0; k < m; k++) {
        let joined = '';
        for (let p = 0; p < codes.length; p++) joined += `${p ? '|' : ''}${codes[p]![rows[k]!]}`;
        wide[k] = joined;
      }
    }
    if (this.distinct) this.distinct.values(v, rows, m, work.distinctValues);
    const added = this.fold(v, m, wide, work);
    const { newWindows, newSlots, newRows } = work;
    for (let p = 0; p < parts.length; p++) {
      const part = parts[p]!;
      for (let j = 0; j < added; j++) newWindows[j]!.values[p]![newSlots[j]!] = part.value(v, newRows[j]!);
    }
    // the list keeps its length (regrowing it per batch made garbage), not the windows
    newWindows.fill(null, 0, added);
  }

  /** The open window starting at `ws`, opened when it is not yet (a spare one when there is one). */
  private windowAt(ws: number): Window {
    let window = this.windows.get(ws);
    if (!window) {
      window = this.spare.pop() ?? new Window(this.parts.length);
      this.windows.set(ws, window);
    }
    return window;
  }

  /**
   * Folds the m selected rows into their windows' slots; returns how many slots it made whose
   * key values are still to be filled in (listed in the scratch's newWindows, newSlots, newRows).
   */
  private fold(v: BatchView, m: number, wide: readonly string[] | null, work: Scratch): number {
    const { rows, keys, distinctValues, newWindows, newSlots, newRows } = work;
    const counted = this.distinct !== null;
    let added = 0;
    const w = this.windowSeconds;
    const maxGroups = this.maxGroups;
    const { time, bytes, packets, start, synOnly, action } = v;
    const positions = v.batch.positions;
    const recordIds = v.batch.recordIds;
    const sourceId = v.batch.source.id;
    let windowStart = Number.NaN;
    let window: Window | undefined;
    for (let k = 0; k < m; k++) {
      const i = rows[k]!;
      const t = time[i]!;
      if (Number.isNaN(t)) continue;
      const ws = Math.floor(t / w) * w;
      if (ws !== windowStart) {
        if (ws + w <= this.closedUpTo) {
          this.late++;
          continue;
        }
        windowStart = ws;
        window = this.windowAt(ws);
      }
      const win = window!;
      let g: number;
      if (wide !== null) {
        g = win.byCodes.get(wide[k]!) ?? -1;
        if (g < 0) g = this.slot(v, i, win, wide[k]!);
      } else if (win.byText === null && win.full.size === 0 && win.size < maxGroups) {
        // the usual case: a key met before, or a new slot (its values are filled in after the loop)
        g = win.byCode.getOrAdd(keys[k]!, win.size);
        if (g < 0) {
          g = win.add();
          newWindows[added] = win;
          newSlots[added] = g;
          newRows[added++] = i;
        }
      } else {
        g = win.byCode.get(keys[k]!);
        if (g < 0) g = this.slot(v, i, win, keys[k]!);
      }
      if (g < 0) {
        this.dropped++;
        continue;
      }
      win.count[g]!++;
      const b = bytes[i]!;
      if (!Number.isNaN(b)) win.bytes[g]! += b;
      const p = packets[i]!;
      if (!Number.isNaN(p)) win.packets[g]! += p;
      if (synOnly[i] === 1 || action[i] === 2) win.attempts[g]!++;
      const s = start[i]!;
      const first = Number.isNaN(s) ? t : s;
      if (first < win.first[g]!) win.first[g] = first;
      if (t > win.last[g]!) win.last[g] = t;
      const taken = win.sampleCount[g]!;
      if (taken < SAMPLES) {
        const at = g * SAMPLES + taken;
        win.sampleCount[g] = taken + 1;
        const position = positions[i]!;
        const uid = Number.isNaN(position) ? v.uid(i) : undefined;
        if (uid !== undefined) {
          win.sampleSource[at] = uid;
          win.samplePosition[at] = Number.NaN;
        } else {
          win.sampleSource[at] = sourceId;
          win.samplePosition[at] = position;
          win.sampleRecord[at] = recordIds?.[i];
        }
      }
      if (counted) this.addDistinct(win, g, distinctValues[k]!);
    }
    return added;
  }

  private addDistinct(win: Window, g: number, value: number): void {
    const one = win.single[g]!;
    if (Number.isNaN(one)) {
      win.single[g] = value;
      return;
    }
    if (one === value) return;
    let counter = win.counters.get(g);
    if (!counter) {
      counter = new DistinctCounter();
      counter.add(one);
      win.counters.set(g, counter);
    }
    counter.add(value);
  }

  private distinctCount(win: Window, g: number): number {
    const counter = win.counters.get(g);
    if (counter) return counter.count;
    return Number.isNaN(win.single[g]!) ? 0 : 1;
  }

  /**
   * The slot of row i's key (code `key`) in `window`, made when new; -1 when the window is full.
   * Codes of keys turned away are remembered (up to maxGroups of them) so a full window does not
   * look at their values again for every row.
   */
  private slot(v: BatchView, i: number, win: Window, key: number | string): number {
    if (win.full.size > 0 && win.full.has(key)) return -1;
    const parts = this.parts;
    if (win.byText !== null) {
      const found = win.byText.get(this.textOfRow(v, i));
      if (found !== undefined) {
        this.remember(win, key, found);
        return found;
      }
    }
    if (win.size >= this.maxGroups) {
      if (win.full.size >= this.maxGroups) win.full.clear();
      win.full.add(key);
      return -1;
    }
    const g = win.add();
    for (let p = 0; p < parts.length; p++) win.values[p]![g] = parts[p]!.value(v, i);
    win.byText?.set(this.textOf(win, g), g);
    this.remember(win, key, g);
    return g;
  }

  private remember(win: Window, key: number | string, g: number): void {
    if (typeof key === 'number') win.byCode.set(key, g);
    else win.byCodes.set(key, g);
  }

  /** The parts' codes moved to a new epoch: slots are found again by their key text. */
  private restale(win: Window): void {
    win.byCode.clear();
    win.byCodes.clear();
    win.full.clear();
    if (win.byText !== null) return;
    win.byText = new Map();
    for (let g = 0; g < win.size; g++) win.byText.set(this.textOf(win, g), g);
  }

  private textOf(win: Window, g: number): string {
    const parts = this.spec.key;
    let text = '';
    for (let p = 0; p < parts.length; p++) {
      const value = parts[p]!.text(win.values[p]![g]!);
      text += p ? `|${value}` : value;
    }
    return text;
  }

  private textOfRow(v: BatchView, i: number): string {
    const parts = this.spec.key;
    let text = '';
    for (let p = 0; p < parts.length; p++) {
      const value = parts[p]!.text(parts[p]!.value(v, i));
      text += p ? `|${value}` : value;
    }
    return text;
  }

  close(upTo: number, hit: (h: Hit) => void): void {
    const w = this.windowSeconds;
    const due = [...this.windows.keys()].filter((ws) => ws + w <= upTo).sort((a, b) => a - b);
    for (const ws of due) {
      const win = this.windows.get(ws)!;
      this.windows.delete(ws);
      const threshold = this.threshold;
      // a group of fewer rows than the threshold cannot reach it by a count, nor by a distinct
      // count while that is exact (nearly every group of a scan rule meets one or two rows)
      const rowsBound = this.measureKind === 'count' || this.measureKind === 'distinct';
      for (let g = 0; g < win.size; g++) {
        const rows = win.count[g]!;
        if (rowsBound && rows < threshold && rows <= EXACT_LIMIT) continue;
        const value = this.value(win, g);
        if (value >= threshold) this.emit(win, g, ws, value, hit);
      }
      if (win.capacity <= REUSE_SLOTS && this.spare.length < SPARE_WINDOWS) {
        win.reset();
        this.spare.push(win);
      }
    }
    if (upTo > this.closedUpTo && Number.isFinite(upTo)) this.closedUpTo = upTo;
  }

  /**
   * Hands out the hit of group g of the window starting at `ws`, whose value reached the
   * threshold, unless its baseline holds it back. Apart from the loop over groups in `close`:
   * that loop is hot, this is not.
   */
  private emit(win: Window, g: number, ws: number, value: number, hit: (h: Hit) => void): void {
    const key = this.textOf(win, g);
    const b = this.spec.baseline;
    const base = b?.source.lookup(this.spec.info.id, key, ws);
    if (b && base !== undefined && value < b.factor * base) return;
    const count = win.count[g]!;
    hit({
      rule: this.spec.info,
      key,
      group: this.groupOf(win, g),
      first: win.first[g]!,
      last: win.last[g]!,
      count,
      bytes: win.bytes[g]!,
      packets: win.packets[g]!,
      sampleUids: this.samples(win, g),
      measure: this.measureName(),
      value,
      threshold: this.threshold,
      extra: {
        window_start: new Date(ws * 1000).toISOString(),
        ...(win.counters.get(g)?.approximate ? { approximate: true } : {}),
        ...(base !== undefined ? { baseline: base, baseline_factor: b!.factor } : {}),
        ...this.spec.describe?.({ count, attempts: win.attempts[g]! }),
      },
    });
  }

  private samples(win: Window, g: number): string[] {
    const out: string[] = [];
    for (let k = 0; k < win.sampleCount[g]!; k++) {
      const at = g * SAMPLES + k;
      const source = win.sampleSource[at]!;
      const position = win.samplePosition[at]!;
      out.push(Number.isNaN(position) ? source : recordUid(source, position, win.sampleRecord[at]));
    }
    return out;
  }

  /** The key's parts by name. */
  private groupOf(win: Window, g: number): Record<string, string> {
    const out: Record<string, string> = {};
    this.spec.key.forEach((p, k) => {
      out[p.name] = p.text(win.values[k]![g]!);
    });
    return out;
  }

  private value(win: Window, g: number): number {
    const kind = this.measureKind;
    if (kind === 'distinct') return this.distinctCount(win, g);
    return kind === 'count' ? win.count[g]! : kind === 'bytes' ? win.bytes[g]! : win.packets[g]!;
  }

  private measureName(): string {
    const m = this.spec.measure;
    return m.kind === 'distinct' ? `distinct ${m.of.name}` : m.kind;
  }
}
