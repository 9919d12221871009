// Bundles the dashboard page (src/dashboard/ui) with its chart library and world outline into
// dist/dashboard/, so the page needs nothing from the internet at run time.
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ui = join(root, 'src/dashboard/ui');
const out = join(root, 'dist/dashboard');
await mkdir(out, { recursive: true });
await build({
  entryPoints: [join(ui, 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  legalComments: 'eof',
  logLevel: 'warning',
});
await copyFile(join(ui, 'index.html'), join(out, 'index.html'));
await copyFile(join(ui, 'app.css'), join(out, 'app.css'));
