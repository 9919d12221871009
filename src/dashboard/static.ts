import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

/** The page's files, built by scripts/build-dashboard.mjs into `dist/dashboard/` of the package. */
export function defaultAssetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return join(dir, 'dist', 'dashboard');
}

export const ASSET_NAMES: readonly string[] = ['index.html', 'app.js', 'app.css'];

/** Reads the page's files once; a missing build is an error that says how to make it. */
export async function loadAssets(dir: string): Promise<Map<string, { type: string; body: Buffer }>> {
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const name of ASSET_NAMES) {
    const path = join(dir, name);
    if (!existsSync(path))
      throw new Error(`dashboard page not built: ${path} is missing (run 'npm run build')`);
    assets.set(`/${name}`, { type: TYPES[name.slice(name.lastIndexOf('.'))]!, body: await readFile(path) });
  }
  return assets;
}
