import { ConfigError, type OptionSpec, optionHelp, optionsOf, parseCommandLine } from '../config/options.js';
import { FormatError, parseFormat } from '../fields/format.js';
import { resolveWithConfig } from '../pipeline/options.js';
import { AthenaError, type AthenaLayout, athenaDdl } from '../store/athena.js';

export const ATHENA_OPTIONS = [
  {
    name: 'location',
    type: 'string',
    description: 'S3 root: the lake (--to lake --lake-dir) or the flow log destination bucket/prefix',
    placeholder: 's3://bucket/prefix',
  },
  {
    name: 'layout',
    type: 'enum',
    choices: ['lake', 'aws-text', 'aws-parquet'],
    default: 'lake',
    description: "Files under --location: flowlens's lake, or AWS's own text or Parquet delivery",
  },
  { name: 'hive', type: 'boolean', default: false, description: 'AWS layouts: Hive-compatible S3 prefixes' },
  { name: 'hourly', type: 'boolean', default: false, description: 'AWS layouts: per-hour partitions' },
  {
    name: 'account',
    type: 'string',
    description: 'AWS layouts: account id in the key prefix',
    placeholder: 'id',
  },
  {
    name: 'region',
    type: 'string',
    description: 'AWS layouts: region in the key prefix',
    placeholder: 'region',
  },
  { name: 'table', type: 'string', default: 'vpc_flow_logs', description: 'Table name', placeholder: 'name' },
  {
    name: 'database',
    type: 'string',
    description: 'Athena database (default: the current one)',
    placeholder: 'name',
  },
  {
    name: 'format',
    type: 'string',
    description: 'Fields of the files (text: in their order); default v2 (text) or every field',
    placeholder: 'fields',
  },
  {
    name: 'start-date',
    type: 'string',
    default: '2024/01/01',
    description: 'First day of the partition projection range',
    placeholder: 'yyyy/MM/dd',
  },
  {
    name: 'config',
    type: 'path',
    description: 'JSON config file whose keys are option names',
    placeholder: 'file',
  },
  { name: 'help', type: 'boolean', short: 'h', description: 'Show this help' },
] as const satisfies readonly OptionSpec[];

const HELP = `Usage: flowlens athena-ddl --location s3://bucket/prefix [--layout lake|aws-text|aws-parquet]
                           [--hive] [--hourly] [--account ID --region REGION]

Prints an Athena CREATE EXTERNAL TABLE with partition projection (no crawler or MSCK REPAIR):
for a lake written by 'flowlens ingest --to lake' (year=/month=/day=/hour= partitions), or
for the prefixes AWS delivers flow logs to (AWSLogs/<account>/vpcflowlogs/<region>/yyyy/MM/dd[/HH]
or their Hive-compatible form).

Options:
${optionHelp(ATHENA_OPTIONS)}
`;

export async function run(argv: string[]): Promise<number> {
  const cli = parseCommandLine(argv, ATHENA_OPTIONS);
  if (cli.flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (cli.positionals.length > 0) throw new ConfigError(`unexpected argument "${cli.positionals[0]}"`);
  const o = resolveWithConfig(ATHENA_OPTIONS, cli, process.env);
  const typed = optionsOf(ATHENA_OPTIONS, o);
  if (typeof o.location !== 'string') throw new ConfigError('--location s3://bucket/prefix is required');
  const layout = o.layout as AthenaLayout;
  if (layout === 'lake' && (o.hive === true || o.hourly === true)) {
    throw new ConfigError(
      '--hive and --hourly describe AWS layouts; the lake is always hive-partitioned by hour',
    );
  }
  let fields: ReturnType<typeof parseFormat>['fields'] | undefined;
  try {
    fields = typeof o.format === 'string' ? parseFormat(o.format).fields : undefined;
    process.stdout.write(
      athenaDdl({
        layout,
        location: o.location,
        table: typed.table,
        ...(typeof o.database === 'string' ? { database: o.database } : {}),
        ...(fields ? { fields } : {}),
        hive: o.hive === true,
        hourly: o.hourly === true,
        ...(typeof o.account === 'string' ? { account: o.account } : {}),
        ...(typeof o.region === 'string' ? { region: o.region } : {}),
        startDate: typed['start-date'],
      }),
    );
  } catch (err) {
    if (err instanceof AthenaError || err instanceof FormatError) throw new ConfigError(err.message);
    throw err;
  }
  return 0;
}
