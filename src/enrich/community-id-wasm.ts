import { WasmMemory, wasmInstance } from '../wasm/modules.js';
import { hasPorts } from './protocols.js';

/**
 * The WebAssembly Community ID kernel (source: asm/community-id.ts) and the memory it works in.
 * Per batch, the endpoints of the distinct addresses and the rows' address ids, protocols and
 * ports are copied in; the module orders the endpoints, builds each row's one-block SHA-1 input,
 * hashes four at a time in SIMD lanes and writes the codes, the digests and the ids as text.
 */

// Offsets of asm/community-id.ts's tables; batch areas start at DYNAMIC.
const PAIRS = 0;
const LAST = 8192;
const ICMP4 = 8256;
const ICMP6 = 8768;
const PORTS = 9280;
const DYNAMIC = 10240;

/** Characters per id: "1:" and 28 of base64. */
const ID_CHARS = 30;

interface KernelExports {
  readonly memory: WebAssembly.Memory;
  readonly communityIds: (
    seed: number,
    n: number,
    family: number,
    words: number,
    src: number,
    dst: number,
    proto: number,
    sport: number,
    dport: number,
    codes: number,
    digests: number,
    text: number,
  ) => number;
}

/** A batch's ids as the kernel left them in its memory (valid until the next `run`). */
export interface KernelOutput {
  /** Ids written: codes 1..count. */
  readonly count: number;
  /** Code per row (0: no id), in the module's memory. */
  readonly codes: Uint32Array;
  /** Five big-endian digest words per code from code 1 on (words of code c at 5(c−1)). */
  readonly digests: Uint32Array;
  /** The ids' text back to back, ID_CHARS bytes each, from code 1 on. */
  readonly text: Buffer;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const align = (x: number): number => (x + 15) & ~15;

export class CommunityIdKernel {
  private readonly mem: WasmMemory;
  private readonly run: KernelExports['communityIds'];

  /** A kernel, or null when WebAssembly is off or the module is not built. */
  static create(icmp4: Int16Array, icmp6: Int16Array): CommunityIdKernel | null {
    const exports = wasmInstance<KernelExports>('community-id');
    return exports ? new CommunityIdKernel(exports, icmp4, icmp6) : null;
  }

  private constructor(exports: KernelExports, icmp4: Int16Array, icmp6: Int16Array) {
    this.mem = new WasmMemory(exports.memory);
    this.run = exports.communityIds;
    this.mem.reserve(DYNAMIC);
    const b = this.mem.bytes;
    for (let v = 0; v < 4096; v++) {
      b.writeUInt16LE(charPairLE(BASE64.charCodeAt(v >>> 6), BASE64.charCodeAt(v & 63)), PAIRS + 2 * v);
    }
    for (let v = 0; v < 16; v++) b.writeUInt16LE(charPairLE(BASE64.charCodeAt(v << 2), 61), LAST + 2 * v);
    for (let t = 0; t < 256; t++) {
      b.writeInt16LE(icmp4[t]!, ICMP4 + 2 * t);
      b.writeInt16LE(icmp6[t]!, ICMP6 + 2 * t);
      b[PORTS + t] = hasPorts(t) ? 1 : 0;
    }
  }

  /**
   * The ids of `n` rows. `family`/`words` describe the batch's distinct addresses (see
   * AddressTable), `srcIds`/`dstIds` are the rows' address ids; a missing port column is all NaN.
   */
  compute(
    seed: number,
    family: Uint8Array,
    words: Uint32Array,
    srcIds: Uint32Array,
    dstIds: Uint32Array,
    proto: Float64Array,
    sport: Float64Array | null,
    dport: Float64Array | null,
    n: number,
  ): KernelOutput {
    const ids = family.length;
    const fam = DYNAMIC;
    const wordsAt = align(fam + ids);
    const src = align(wordsAt + 16 * ids);
    const dst = align(src + 4 * n);
    const protoAt = align(dst + 4 * n);
    const sportAt = protoAt + 8 * n;
    const dportAt = sportAt + 8 * n;
    const codes = align(dportAt + 8 * n);
    const digests = align(codes + 4 * n);
    const text = align(digests + 20 * (n + 1));
    this.mem.reserve(text + ID_CHARS * n);
    const m = this.mem;
    m.bytes.set(family, fam);
    m.u32.set(words.subarray(0, 4 * ids), wordsAt >> 2);
    m.u32.set(srcIds.subarray(0, n), src >> 2);
    m.u32.set(dstIds.subarray(0, n), dst >> 2);
    m.f64.set(proto.subarray(0, n), protoAt >> 3);
    if (sport) m.f64.set(sport.subarray(0, n), sportAt >> 3);
    else m.f64.fill(Number.NaN, sportAt >> 3, (sportAt >> 3) + n);
    if (dport) m.f64.set(dport.subarray(0, n), dportAt >> 3);
    else m.f64.fill(Number.NaN, dportAt >> 3, (dportAt >> 3) + n);
    const count = this.run(seed, n, fam, wordsAt, src, dst, protoAt, sportAt, dportAt, codes, digests, text);
    return {
      count,
      codes: m.u32.subarray(codes >> 2, (codes >> 2) + n),
      digests: m.u32.subarray((digests >> 2) + 5, (digests >> 2) + 5 * (count + 1)),
      text: m.bytes.subarray(text, text + ID_CHARS * count),
    };
  }
}

/** The module stores text as little-endian 16-bit pairs whatever the host's byte order. */
function charPairLE(first: number, second: number): number {
  return first | (second << 8);
}
