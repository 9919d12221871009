import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Alert } from '../../src/alerts/types.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The alerts printed on stdout, one JSON object per line. */
  readonly alerts: Alert[];
}

/** Runs the CLI from source in a child process (stdout is the alert stream). */
export function cli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/sinks/run-cli.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const alerts = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Alert);
      resolve({ code: code ?? -1, stdout, stderr, alerts });
    });
  });
}

/** True when the alert's record span overlaps [from, to). */
export function overlaps(alert: Alert, from: string, to: string): boolean {
  return Date.parse(alert.first_seen) < Date.parse(to) && Date.parse(alert.last_seen) >= Date.parse(from);
}
