import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running module `name` (without extension) beside `base` (a module's
 * import.meta.url). Built, the module is `name.js`; run from sources under tsx (the tests),
 * it is `name.ts`, and a worker does not inherit tsx's loader on Node 20, so a small bootstrap
 * registers it first.
 */
export function startModuleWorker(base: string, name: string, options: WorkerOptions = {}): Worker {
  if (!base.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, base), options);
  const entry = new URL(`./${name}.ts`, base).href;
  // Resolved here, so the thread finds tsx whatever the working directory.
  const api = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/**
 * True when the worker module exists (a single-file bundle, such as the Lambda package, may
 * leave it out: the caller then works on its own thread).
 */
export function workerModuleExists(base: string, name: string): boolean {
  const ext = base.endsWith('.ts') ? '.ts' : '.js';
  try {
    return existsSync(fileURLToPath(new URL(`./${name}${ext}`, base)));
  } catch {
    return false;
  }
}
