// flowlens row spreader (AssemblyScript, compiled to WebAssembly by `npm run build:wasm`).
//
// Enrichers work out their values once per distinct address of a batch, then spread them over
// the rows by the rows' address ids: out[i] = table[ids[i]], for the source and the destination
// of every row. These loops run on every batch from the first one on; as WebAssembly they are
// compiled when the module is instantiated, while the same loops in JavaScript run interpreted
// through the first batches until the JIT has optimised them.
//
// Memory is laid out by the JavaScript side (src/enrich/row-spread.ts); this module allocates
// nothing.

/** f64 values per id: srcOut[i] = values[src[i]], dstOut[i] = values[dst[i]]. */
export function spread64(n: i32, src: usize, dst: usize, values: usize, srcOut: usize, dstOut: usize): void {
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 2;
    const out = <usize>i << 3;
    store<f64>(srcOut + out, load<f64>(values + (<usize>load<u32>(src + at) << 3)));
    store<f64>(dstOut + out, load<f64>(values + (<usize>load<u32>(dst + at) << 3)));
  }
}

/** u32 values per id, likewise. */
export function spread32(n: i32, src: usize, dst: usize, values: usize, srcOut: usize, dstOut: usize): void {
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 2;
    store<u32>(srcOut + at, load<u32>(values + (<usize>load<u32>(src + at) << 2)));
    store<u32>(dstOut + at, load<u32>(values + (<usize>load<u32>(dst + at) << 2)));
  }
}

/**
 * Network classes: `classes` holds a u8 class per id, `pairs` a u8 code per
 * `src class * 16 + dst class`. Writes both classes and the pair's code as u32 per row.
 */
export function spreadClasses(
  n: i32,
  src: usize,
  dst: usize,
  classes: usize,
  pairs: usize,
  srcOut: usize,
  dstOut: usize,
  pairOut: usize,
): void {
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 2;
    const s = <u32>load<u8>(classes + <usize>load<u32>(src + at));
    const d = <u32>load<u8>(classes + <usize>load<u32>(dst + at));
    store<u32>(srcOut + at, s);
    store<u32>(dstOut + at, d);
    store<u32>(pairOut + at, <u32>load<u8>(pairs + <usize>((s << 4) | d)));
  }
}

/** Row i's code, or 0 (no value) for a code past the dictionary, as the JavaScript path reads it. */
@inline function codeAt(codes: usize, i: i32, codeCount: u32): u32 {
  const code = load<u32>(codes + (<usize>i << 2));
  return code < codeCount ? code : 0;
}

/**
 * The first pass of giving a string column's rows their address ids: each code (u32 per row in
 * `codes`, below `codeCount`) whose entry in `idOf` (u32 per code) is 0 gets 0xffffffff there
 * and is appended to `list`, in order of first appearance. Returns how many were appended. The
 * caller then gives each listed code its id (id + 1 in `idOf`) and calls `idsOf`.
 */
export function firstSeen(n: i32, codes: usize, codeCount: u32, idOf: usize, list: usize): i32 {
  let count = 0;
  for (let i = 0; i < n; i++) {
    const code = codeAt(codes, i, codeCount);
    const at = idOf + (<usize>code << 2);
    if (load<u32>(at) == 0) {
      store<u32>(at, 0xffffffff);
      store<u32>(list + (<usize>count << 2), code);
      count++;
    }
  }
  return count;
}

/** out[i] = idOf[codes[i]] - 1: each row's address id (`idOf[0]` is 1: code 0 is id 0). */
export function idsOf(n: i32, codes: usize, codeCount: u32, idOf: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    store<u32>(out + (<usize>i << 2), load<u32>(idOf + (<usize>codeAt(codes, i, codeCount) << 2)) - 1);
  }
}

/**
 * A code per row from a number column (f64, NaN for none): `codes[v]` (u32, 256 of them) for a
 * whole number v from 0 to 255, else 0.
 */
export function codesOfNumbers(n: i32, values: usize, codes: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    const v = load<f64>(values + (<usize>i << 3));
    let code: u32 = 0;
    if (v >= 0 && v <= 255 && floor(v) == v) code = load<u32>(codes + (<usize>(<u32>v) << 2));
    store<u32>(out + (<usize>i << 2), code);
  }
}
