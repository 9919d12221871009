import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createLogger, type Logger } from '../../src/server/log.js';

/** A JSON logger whose lines land in `lines` (parsed), for tests that read the service's log. */
export function memoryLogger(lines: Array<Record<string, unknown>> = []): Logger {
  return createLogger({
    format: 'json',
    quiet: false,
    write: (line) => {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
}

/** A `flowlens serve` process started from source, as a user runs it. */
export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** What it wrote so far. */
  readonly out: { stdout: string; stderr: string };
  /** Its exit code once it exits. */
  readonly exited: Promise<number | null>;
}

const root = join(import.meta.dirname, '../..');

/**
 * Starts `flowlens serve --port 0 --host 127.0.0.1 <args>`; resolves once it says where it
 * listens (text or JSON log lines), rejects if it exits first.
 */
export async function spawnServe(args: readonly string[]): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      "import('./src/cli/main.ts').then(async (m) => { process.exitCode = await m.main(process.argv.slice(1)); })",
      'serve',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      ...args,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const out = { stdout: '', stderr: '' };
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stdout.on('data', (c) => {
    out.stdout += c;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (c) => {
      out.stderr += c;
      const m = /listening on (https?:\/\/[^\s"]+)/.exec(out.stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`serve exited early: ${out.stderr}`)));
  });
  return { url, child, out, exited };
}
