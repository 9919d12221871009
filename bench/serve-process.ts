import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './repo-root.js';

/** `flowlens serve` in a process of its own, as users run it (the built bin/flowlens.js). */
export interface ServeProcess {
  readonly url: string;
  /** The process's peak resident size so far (VmHWM), MB. */
  peakRssMb(): number;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

export async function startServeProcess(args: readonly string[]): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [join(repoRoot(), 'bin/flowlens.js'), 'serve', '--port', '0', '--host', '127.0.0.1', ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (c) => {
      stderr += c;
      const m = /listening on (https?:\/\/[^\s"]+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
  });
  return {
    url,
    peakRssMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = /VmHWM:\s+(\d+) kB/.exec(status);
      return kb ? Number(kb[1]) / 1024 : Number.NaN;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
