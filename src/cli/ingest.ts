import { ConfigError, type OptionSpec, optionHelp, parseCommandLine } from '../config/options.js';
import { buildPipeline, INGEST_OPTIONS } from '../pipeline/build.js';
import { resolveWithConfig } from '../pipeline/options.js';
import { runPipeline } from '../pipeline/run.js';
import { printSummary, progressReporter, runSucceeded } from './report.js';

const HELP = (specs: readonly OptionSpec[]) => `Usage: flowlens ingest <input...> [--to <sink>]... [options]

Runs the pipeline: decodes every input (files, directories, s3://bucket/prefix, - for stdin),
enriches the records and hands them to each sink named by --to (default: the embedded store).

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
  const pipeline = await buildPipeline(cli.positionals, options, {
    env: process.env,
    log: (m) => {
      if (!quiet) process.stderr.write(m + '\n');
    },
  });
  const progress = quiet ? undefined : progressReporter(process.stderr);
  const report = await runPipeline({ ...pipeline, ...(progress ? progress.hooks : {}) });
  progress?.done();
  printSummary(report, process.stderr, options.strict === true);
  return runSucceeded(report, options.strict === true) ? 0 : 1;
}
