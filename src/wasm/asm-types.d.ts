// AssemblyScript's integer types as TypeScript sees them, for the layout files in asm/lib/ that
// both the WebAssembly modules and the TypeScript side import (one source for the offsets).
type u32 = number;
type usize = number;
