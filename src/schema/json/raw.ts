import type { Column, FlowBatch, ListColumn } from '../../batch/flow-batch.js';
import { JsonBytes, keyBytes } from './bytes.js';
import { ListFragments, objectOrder, StrFragments } from './cells.js';
import type { RowJson } from './compile.js';

const NUM = 0;
const STR = 1;
const LIST = 2;
/** A number column spread from per-address values (geo): each value's member made once. */
const SPREAD = 3;

/**
 * The raw document (`batch.row(i)`) compiled for one batch: every column, nulls as `null`.
 * One loop over the columns by kind (not a closure per column): the raw schema is the default
 * of the ndjson and http sinks, and its rows are the widest.
 */
export function compileRaw(batch: FlowBatch): RowJson {
  const entries: [string, Column][] = batch.fields.map((f, c) => [f.column, batch.columns[c]!]);
  for (const [name, col] of batch.extra) entries.push([name, col]);
  const ordered = objectOrder(entries);
  const n = ordered.length;
  const kinds = new Uint8Array(n);
  const keys: Uint8Array[] = [];
  const nums: (Float64Array | undefined)[] = [];
  const codes: (Uint32Array | undefined)[] = [];
  const strs: (StrFragments | undefined)[] = [];
  const lists: (ListFragments | undefined)[] = [];
  const spreads: ({ ids: Uint32Array; made: (Uint8Array | undefined)[] } | undefined)[] = [];
  const NULL = Buffer.from('null');
  const scratch = new JsonBytes(64);
  ordered.forEach(([key, col], m) => {
    // the comma goes with the key: every member is written, so only the first has none
    const k = m === 0 ? keyBytes(key) : Buffer.concat([Buffer.from(','), keyBytes(key)]);
    keys.push(k);
    nums.push(col.kind === 'num' ? col.values : undefined);
    codes.push(col.kind === 'str' ? col.codes : undefined);
    strs.push(col.kind === 'str' ? new StrFragments(col, k, 'null') : undefined);
    lists.push(col.kind === 'list' ? new ListFragments(col as ListColumn) : undefined);
    spreads.push(col.kind === 'num' && col.spread ? { ids: col.spread.rowIds, made: [] } : undefined);
    kinds[m] = col.kind === 'num' ? (col.spread ? SPREAD : NUM) : col.kind === 'str' ? STR : LIST;
  });
  return (out: JsonBytes, i: number): void => {
    out.byte(0x7b);
    for (let m = 0; m < n; m++) {
      const kind = kinds[m];
      if (kind === STR) {
        strs[m]!.write(out, codes[m]![i]!);
      } else if (kind === NUM) {
        out.frag(keys[m]!);
        const v = nums[m]![i]!;
        if (!Number.isNaN(v)) out.num(v);
        else out.frag(NULL);
      } else if (kind === SPREAD) {
        const s = spreads[m]!;
        const id = s.ids[i]!;
        let f = s.made[id];
        if (f === undefined) {
          scratch.reset();
          scratch.frag(keys[m]!);
          const v = nums[m]![i]!;
          if (!Number.isNaN(v)) scratch.num(v);
          else scratch.frag(NULL);
          f = scratch.take();
          s.made[id] = f;
        }
        out.frag(f);
      } else {
        out.frag(keys[m]!);
        if (!lists[m]!.write(out, i)) out.frag(NULL);
      }
    }
    out.end(0x7d);
  };
}
