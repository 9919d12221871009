/**
 * Stable numbers for the strings of a decoded column. The WebAssembly line scanner interns each
 * string column's values in a table that lives across batches (and streams), so the same value
 * comes back as the same table entry batch after batch. For a dictionary the text decoder made,
 * `keys[code]` is 1 + that entry (0 when the value did not come from the table, e.g. a line the
 * JavaScript decoder parsed), and `space` names the table's current contents: while `space` is
 * the same object, the same key is the same string. A consumer that keeps per-value work by key
 * (the enrichers' address table) finds a value with an array read instead of hashing its text.
 *
 * Keyed by the dictionary array, which is new for every batch; dictionaries made elsewhere (other
 * decoders, copies from another thread) simply have no keys.
 */
export interface DictKeys {
  readonly space: object;
  readonly keys: Uint32Array;
}

export const DICT_KEYS = new WeakMap<readonly string[], DictKeys>();
