/** The typed arrays flowlens grows as tables fill. */
type GrowableArray = Uint8Array | Int32Array | Uint32Array | Float64Array;

/**
 * A copy of `a` of `length` elements (at least a's), of the same type: the old elements first,
 * then `fill` (0 unless given). For tables that double when full, off the per-row path.
 */
export function grown<A extends GrowableArray>(a: A, length: number, fill = 0): A {
  const b = new (a.constructor as new (length: number) => A)(Math.max(length, a.length));
  if (fill !== 0) b.fill(fill, a.length);
  b.set(a);
  return b;
}
