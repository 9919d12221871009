#!/usr/bin/env node
/**
 * Keeps `npm start` from rebuilding what is already built.
 *   node scripts/build-stamp.mjs write   after a build: marks dist/ as built from the sources now
 *   node scripts/build-stamp.mjs         runs `npm run build` only when a source is newer than that
 *                                        mark (or dist/ has none), else does nothing
 * Sources: src/, asm/, bench/, the build scripts, the tsconfig files and package.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist/.build-stamp');
const SOURCES = [
  'src',
  'asm',
  'bench',
  'scripts/build-wasm.mjs',
  'scripts/build-stamp.mjs',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
];

/** The newest modification time under a file or folder, in ms (0 when absent). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let latest = s.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

if (process.argv[2] === 'write') {
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
} else {
  const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  const changed = Math.max(...SOURCES.map((p) => newest(join(root, p))));
  if (changed > built) {
    process.stderr.write('flowlens: sources changed since the last build, building…\n');
    const npm = process.env.npm_execpath;
    // under npm, its own CLI; otherwise whatever `npm` is on the PATH
    if (npm)
      execFileSync(process.execPath, [npm, 'run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
    else execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  }
}
