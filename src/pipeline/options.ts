import {
  type CommandLine,
  type OptionSpec,
  type ResolvedOptions,
  readConfigFile,
  resolveOptions,
} from '../config/options.js';
import { SCHEMA_NAMES } from '../schema/types.js';

/** Options every pipeline front (CLI ingest/parse, server, Lambda) understands. */
export const PIPELINE_OPTIONS = [
  {
    name: 'format',
    type: 'string',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: AWS's own format syntax, shown to the user as written
    description: 'Field order of headerless text: "${version} ${account-id} …" or plain names',
    placeholder: 'fields',
  },
  {
    name: 'schema',
    type: 'enum',
    choices: SCHEMA_NAMES,
    default: 'raw',
    description: 'Shape of each output document',
  },
  {
    name: 'batch-size',
    type: 'int',
    min: 1,
    max: 1_000_000,
    default: 8192,
    description: 'Records per batch',
  },
  {
    name: 'decode-threads',
    type: 'int',
    min: 0,
    max: 64,
    description:
      'Threads that parse and enrich large text inputs beside the main thread (default: 0 below four cores, 1 with four or five, 2 with more)',
    placeholder: 'n',
  },
  {
    name: 'config',
    type: 'path',
    description: 'JSON config file whose keys are option names',
    placeholder: 'file',
  },
  { name: 'strict', type: 'boolean', default: false, description: 'Fail the run when any line is malformed' },
  { name: 'quiet', type: 'boolean', short: 'q', default: false, description: 'No progress output' },
  { name: 'help', type: 'boolean', short: 'h', description: 'Show this help' },
] as const satisfies readonly OptionSpec[];

/**
 * Resolves options from the command line, the environment and the config file named by
 * `--config` or FLOWLENS_CONFIG — one validated object, or a ConfigError naming the setting.
 */
export function resolveWithConfig(
  specs: readonly OptionSpec[],
  cli: CommandLine | undefined,
  env: NodeJS.ProcessEnv,
): ResolvedOptions {
  const configFlag = cli?.flags.config;
  const configPath = typeof configFlag === 'string' ? configFlag : env.FLOWLENS_CONFIG;
  const file = configPath ? readConfigFile(configPath) : undefined;
  return resolveOptions(specs, { ...(cli ? { flags: cli.flags } : {}), env, ...(file ? { file } : {}) });
}
