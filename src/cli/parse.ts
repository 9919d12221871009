import { ConfigError, type OptionSpec, optionHelp, parseCommandLine } from '../config/options.js';
import { ENRICH_OPTIONS } from '../enrich/index.js';
import { runOnce } from '../pipeline/once.js';
import { PIPELINE_OPTIONS, resolveWithConfig } from '../pipeline/options.js';
import { SOURCE_OPTIONS } from '../sources/options.js';
import { printSummary, runSucceeded } from './report.js';

/** Options of `parse`: the pipeline's, the input side's and enrichment; the sink is fixed. */
export function PARSE_OPTIONS(): OptionSpec[] {
  const byName = new Map<string, OptionSpec>();
  for (const s of [...PIPELINE_OPTIONS, ...SOURCE_OPTIONS, ...ENRICH_OPTIONS]) {
    if (!byName.has(s.name)) byName.set(s.name, s);
  }
  return [...byName.values()];
}

const HELP = (
  specs: readonly OptionSpec[],
) => `Usage: flowlens parse <input...> [--format "<fields>"] [--schema raw|otel|ecs|ocsf] [options]

Decodes VPC Flow Logs to NDJSON on stdout: one JSON object per record, numbers as numbers,
null for "-". Inputs: files, directories (recursive), s3://bucket/prefix, - for stdin. The
kind of each input is read from its content: gzip or plain text (with or without a header
line), CloudWatch Logs subscription payloads, Firehose records, Parquet.

A one-line JSON summary goes to stderr (files, records, nodata, skipdata, control, malformed,
errors with file and position). Exit status: 0 when every input was read to the end (malformed
lines are counted, and fail the run only with --strict; an input whose every line is malformed
fails), 1 otherwise, 2 for bad options.

Options:
${optionHelp(specs)}
`;

export async function run(argv: string[]): Promise<number> {
  const specs = PARSE_OPTIONS();
  const cli = parseCommandLine(argv, specs);
  if (cli.flags.help) {
    process.stdout.write(HELP(specs));
    return 0;
  }
  if (cli.positionals.length === 0) {
    throw new ConfigError('no input given (a file, directory, s3://bucket/prefix or - for stdin)');
  }
  const options = resolveWithConfig(specs, cli, process.env);
  const quiet = options.quiet === true;
  const report = await runOnce(
    cli.positionals,
    { ...options, to: ['ndjson'], 'ndjson-path': '-' },
    {
      env: process.env,
      log: (m) => {
        if (!quiet) process.stderr.write(m + '\n');
      },
    },
  );
  if (report.sinks.some((s) => s.details?.outputClosed)) return 0; // `parse … | head`: not an error
  const { stats } = report;
  if (stats.errors.length > 0) {
    const first = stats.errors[0]!;
    const more = stats.errors.length > 1 ? ` (and ${stats.errors.length - 1} more)` : '';
    const where = first.message.startsWith(first.source) ? '' : `${first.source}: `;
    process.stderr.write(`flowlens parse: ${where}${first.message}${more}\n`);
  } else if (options.strict === true && stats.malformed > 0) {
    const first = stats.malformedSamples[0];
    const at = first ? ` (first: ${first.source} line ${first.line}: ${first.message})` : '';
    process.stderr.write(`flowlens parse: ${stats.malformed} malformed line(s) with --strict${at}\n`);
  }
  printSummary(report, process.stderr, options.strict === true);
  return runSucceeded(report, options.strict === true) ? 0 : 1;
}
