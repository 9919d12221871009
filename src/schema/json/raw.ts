import type { Column, FlowBatch } from '../../batch/flow-batch.js';
import type { JsonBytes } from './bytes.js';
import { cellMember, objectOrder } from './cells.js';
import type { RowJson } from './compile.js';

/** The raw document (`batch.row(i)`) compiled for one batch: every column, nulls as `null`. */
export function compileRaw(batch: FlowBatch): RowJson {
  const entries: [string, Column][] = batch.fields.map((f, c) => [f.column, batch.columns[c]!]);
  for (const [name, col] of batch.extra) entries.push([name, col]);
  const members = objectOrder(entries).map(([key, col]) => cellMember(key, col, true));
  return (out: JsonBytes, i: number): void => {
    out.begin(0x7b);
    for (let m = 0; m < members.length; m++) members[m]!(out, i);
    out.end(0x7d);
  };
}
