#!/usr/bin/env node
/**
 * Compiles each AssemblyScript module in asm/ to dist/wasm/<name>.wasm (run by `npm run build`).
 * Release settings: optimised, no runtime (the modules allocate nothing; JavaScript lays out
 * their memory), SIMD on (Node 20 has it).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asc = join(root, 'node_modules/assemblyscript/bin/asc.js');
for (const file of readdirSync(join(root, 'asm')).filter((f) => f.endsWith('.ts'))) {
  const name = file.slice(0, -3);
  execFileSync(
    process.execPath,
    [
      asc,
      join('asm', file),
      '-O3',
      '--noAssert',
      '--runtime',
      'stub',
      '--enable',
      'simd',
      '--outFile',
      join('dist/wasm', `${name}.wasm`),
    ],
    { cwd: root, stdio: 'inherit' },
  );
}
