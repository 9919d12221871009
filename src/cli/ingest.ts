import { ConfigError, type OptionSpec, optionHelp, parseCommandLine } from '../config/options.js';
import { RunStats } from '../core/stats.js';
import { INGEST_OPTIONS } from '../pipeline/build.js';
import { runOnce } from '../pipeline/once.js';
import { resolveWithConfig } from '../pipeline/options.js';
import { printSummary, progressReporter, runSucceeded } from './report.js';

const HELP = (specs: readonly OptionSpec[]) => `Usage: flowlens ingest <input...> [--to <sink>]... [options]

Runs the pipeline: decodes every input (files, directories, s3://bucket/prefix, - for stdin),
enriches the records and hands them to each sink named by --to (default: the embedded store).
A one-line JSON summary goes to stderr. Exit status: 0 when everything was read and delivered,
1 otherwise, 2 for bad options. SIGINT/SIGTERM stop reading, let the sinks deliver what they
hold, print the summary and exit 130/143 (a second signal exits at once).

Options:
${optionHelp(specs)}
`;

export async function run(argv: string[]): Promise<number> {
  const specs = INGEST_OPTIONS();
  const cli = parseCommandLine(argv, specs);
  if (cli.flags.help) {
    process.stdout.write(HELP(specs));
    return 0;
  }
  if (cli.positionals.length === 0)
    throw new ConfigError('no input given (a file, directory, s3:// prefix or -)');
  const options = resolveWithConfig(specs, cli, process.env);
  const quiet = options.quiet === true;
  const stats = new RunStats();
  const progress = quiet ? undefined : progressReporter(process.stderr);
  const interrupt = onInterrupt(stats);
  try {
    const log = (m: string): void => {
      if (!quiet) process.stderr.write(m + '\n');
    };
    const report = await runOnce(
      cli.positionals,
      options,
      { env: process.env, log, stats },
      { ...(progress ? progress.hooks : {}), stop: interrupt.stop },
    );
    progress?.done();
    printSummary(report, process.stderr, options.strict === true);
    if (interrupt.code !== undefined) {
      process.stdin.destroy(); // a read still waiting on stdin would keep the process alive
      return interrupt.code;
    }
    return runSucceeded(report, options.strict === true) ? 0 : 1;
  } finally {
    interrupt.dispose();
  }
}

/** Exit status of a run ended by a signal: 128 + the signal's number, as shells report it. */
const SIGNAL_STATUS = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * SIGINT and SIGTERM stop the run between batches; the sinks then close (delivering what they
 * hold) and the summary says what was delivered. A second signal does not wait for the sinks:
 * the counts so far are printed and the process exits.
 */
function onInterrupt(stats: RunStats): {
  stop: AbortSignal;
  readonly code: number | undefined;
  dispose(): void;
} {
  const controller = new AbortController();
  let code: number | undefined;
  const handle = (signal: keyof typeof SIGNAL_STATUS): void => {
    if (code === undefined) {
      code = SIGNAL_STATUS[signal];
      process.stderr.write(
        `flowlens ingest: ${signal}: stopping; the sinks deliver what they hold (again to quit now)\n`,
      );
      controller.abort(`interrupted by ${signal}`);
      return;
    }
    stats.addError({ source: 'run', message: `interrupted by ${signal} again: the sinks were not closed` });
    process.stderr.write(`${JSON.stringify({ ...stats.toJSON(), ok: false })}\n`);
    process.exit(code);
  };
  const onInt = (): void => handle('SIGINT');
  const onTerm = (): void => handle('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    stop: controller.signal,
    get code() {
      return code;
    },
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
