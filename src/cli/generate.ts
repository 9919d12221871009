import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConfigError, type OptionSpec, optionHelp, parseCommandLine } from '../config/options.js';
import { FormatError } from '../fields/format.js';
import { GenerateError, type GroundTruth, generateFlowLogs } from '../generate/index.js';
import { GENERATE_OPTIONS, toGenerateOptions } from '../generate/options.js';
import { resolveWithConfig } from '../pipeline/options.js';
import { exitQuietlyOnClosedStdout } from './stdout.js';

const HELP = (specs: readonly OptionSpec[]) => `Usage: flowlens generate [options]

Writes realistic synthetic VPC Flow Logs: S3 text objects (default), CloudWatch Logs
subscription payloads (--cloudwatch) or AWS's Parquet layout (--parquet). The same --seed
always gives the same bytes. The ground truth (record counts, bytes and packets by action)
is printed as one JSON line on stderr.

Examples:
  flowlens generate --records 100000 --version 5 --out flows.log.gz
  flowlens generate --cloudwatch --records 5000 --out payloads.json.gz
  flowlens generate --parquet --version 8 --out flows.parquet
  flowlens generate -n 20 --malformed-rate 0.2

Options:
${optionHelp(specs)}
`;

export async function run(argv: string[]): Promise<number> {
  const cli = parseCommandLine(argv, GENERATE_OPTIONS);
  if (cli.flags.help) {
    process.stdout.write(HELP(GENERATE_OPTIONS));
    return 0;
  }
  if (cli.positionals.length > 0) {
    throw new ConfigError(`unexpected argument "${cli.positionals[0]}" (generate takes options only)`);
  }
  const options = resolveWithConfig(GENERATE_OPTIONS, cli, process.env);
  let generator: ReturnType<typeof generateFlowLogs>;
  try {
    generator = generateFlowLogs(toGenerateOptions(options));
  } catch (err) {
    if (err instanceof GenerateError || err instanceof FormatError) throw new ConfigError(err.message);
    throw err;
  }
  const out = typeof options.out === 'string' ? options.out : undefined;
  let truth: GroundTruth;
  if (out) {
    const file = createWriteStream(out);
    try {
      await pipeline(Readable.from(generator.chunks(), { objectMode: false }), file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(`cannot write ${out}: ${code ?? (err as Error).message}`);
    }
    truth = generator.truth;
  } else {
    exitQuietlyOnClosedStdout('generate');
    truth = await generator.writeTo(process.stdout);
  }
  if (options.quiet !== true) process.stderr.write(JSON.stringify(truth) + '\n');
  return 0;
}
