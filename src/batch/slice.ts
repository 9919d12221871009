import { type Column, type ColumnSpread, FlowBatch } from './flow-batch.js';

/**
 * Rows [from, to) of a batch as a batch of their own, sharing the original's memory. What the
 * columns carry for later stages stays valid: dictionary keys, digests and fixed-width text are
 * per dictionary code, and a spread's row ids are cut with the rows (once per row-id array, so
 * columns that shared row ids still share them).
 */
export function sliceBatch(batch: FlowBatch, from: number, to: number): FlowBatch {
  const rowIds = new Map<Uint32Array, Uint32Array>();
  const cutSpread = (s: ColumnSpread | undefined): { spread?: ColumnSpread } => {
    if (!s) return {};
    let ids = rowIds.get(s.rowIds);
    if (!ids) {
      ids = s.rowIds.subarray(from, to);
      rowIds.set(s.rowIds, ids);
    }
    return { spread: { rowIds: ids, of: s.of } };
  };
  const cut = (c: Column): Column => {
    if (c.kind === 'num') return { kind: 'num', values: c.values.subarray(from, to), ...cutSpread(c.spread) };
    if (c.kind === 'str')
      return {
        kind: 'str',
        codes: c.codes.subarray(from, to),
        dict: c.dict,
        ...(c.keys ? { keys: c.keys } : {}),
        ...(c.digests ? { digests: c.digests } : {}),
        ...(c.fixedText ? { fixedText: c.fixedText } : {}),
        ...cutSpread(c.spread),
      };
    return { kind: 'list', values: c.values.slice(from, to) };
  };
  const out = new FlowBatch(
    batch.fields,
    batch.columns.map(cut),
    to - from,
    batch.source,
    batch.positions.subarray(from, to),
    batch.recordIds?.slice(from, to),
    // the rows' offsets still point into the same bytes
    batch.text && {
      bytes: batch.text.bytes,
      starts: batch.text.starts.subarray(from, to),
      ends: batch.text.ends.subarray(from, to),
    },
  );
  for (const [name, col] of batch.extra) out.extra.set(name, cut(col));
  return out;
}
