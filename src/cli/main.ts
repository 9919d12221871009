import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/options.js';
import { COMMANDS } from './commands.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'flowlens — AWS VPC Flow Logs: parse, enrich, ship, analyse',
    '',
    'Usage: flowlens <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    "Run 'flowlens <command> --help' for a command's options.",
  ].join('\n');
}

/** Entry point of bin/flowlens.js; returns the exit code. Errors are one line, never a stack. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(version() + '\n');
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`flowlens: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`flowlens ${name}: ${err.message}\n`);
      return 2;
    }
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`flowlens ${name}: ${msg}\n`);
    if (process.env.FLOWLENS_DEBUG && err instanceof Error && err.stack)
      process.stderr.write(err.stack + '\n');
    return 1;
  }
}
