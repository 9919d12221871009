import { readFileSync } from 'node:fs';

/**
 * flowlens's WebAssembly modules (sources in asm/, built by `npm run build:wasm` into
 * dist/wasm/), compiled once per thread. FLOWLENS_WASM=0 switches them off: every part that
 * uses one has a JavaScript path that gives the same output. The variable is read each time a
 * part is made, so a test can compare the two in one process.
 */
const compiled = new Map<string, WebAssembly.Module | null>();

/** The compiled module `name` (`line-scanner`, `otlp-lines`, `community-id`, `row-spread`), or null when off or not built. */
export function wasmModule(name: string): WebAssembly.Module | null {
  if (process.env.FLOWLENS_WASM === '0') return null;
  let mod = compiled.get(name);
  if (mod !== undefined) return mod;
  mod = null;
  // from src/wasm (tests, tsx), from dist/src/wasm (the build), beside a bundle (Lambda)
  for (const dir of ['../../dist/wasm/', '../../wasm/', './']) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(new URL(`${dir}${name}.wasm`, import.meta.url));
    } catch {
      continue;
    }
    mod = new WebAssembly.Module(bytes);
    break;
  }
  // a build without `npm run build:wasm` (or a bundle without its modules) still works, slower
  if (mod === null)
    process.emitWarning(
      `flowlens: ${name}.wasm not found (npm run build makes it); using the slower JavaScript path`,
    );
  compiled.set(name, mod);
  return mod;
}

/** A new instance of module `name` with its own memory, or null (see `wasmModule`). */
export function wasmInstance<T>(
  name: string,
  imports: Record<string, Record<string, unknown>> = {},
): T | null {
  const mod = wasmModule(name);
  return mod ? (new WebAssembly.Instance(mod, imports).exports as unknown as T) : null;
}

const PAGE = 65536;

/**
 * Views of a module's memory, re-made when it grows; `version` counts the growths, so holders
 * of views taken from it know when theirs are detached.
 */
export class WasmMemory {
  version = 0;
  bytes!: Buffer;
  u32!: Uint32Array;
  i32!: Int32Array;
  f64!: Float64Array;

  constructor(private readonly memory: WebAssembly.Memory) {
    this.refresh();
  }

  /** Makes the memory at least `size` bytes. */
  reserve(size: number): void {
    const have = this.memory.buffer.byteLength;
    if (size > have) this.memory.grow(Math.ceil((size - have) / PAGE));
    this.refresh();
  }

  private refresh(): void {
    const buf = this.memory.buffer;
    if (this.bytes !== undefined && this.bytes.buffer === buf) return;
    this.bytes = Buffer.from(buf);
    this.u32 = new Uint32Array(buf);
    this.i32 = new Int32Array(buf);
    this.f64 = new Float64Array(buf);
    this.version++;
  }
}
