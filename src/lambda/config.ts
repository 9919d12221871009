import type { OptionSpec, ResolvedOptions } from '../config/options.js';
import { INGEST_OPTIONS } from '../pipeline/build.js';
import { resolveWithConfig } from '../pipeline/options.js';

/** Settings only the Lambda handler reads (all from the function's environment). */
export const LAMBDA_OPTIONS = [
  {
    name: 'continuation-queue-url',
    type: 'url',
    description: 'SQS queue that receives continuations (the queue that triggers this function)',
    placeholder: 'url',
  },
  {
    name: 'continuation',
    type: 'enum',
    choices: ['auto', 'sqs', 'invoke', 'off'],
    default: 'auto',
    description:
      'How unfinished work is handed on: the queue (sqs), an async self-invocation (invoke), auto = sqs when a queue URL is set, else invoke',
  },
  {
    name: 'time-reserve-ms',
    type: 'int',
    min: 0,
    max: 900_000,
    default: 20_000,
    description: 'Stop reading and hand the rest on when less than this much invocation time is left',
    placeholder: 'ms',
  },
  {
    name: 'max-hops',
    type: 'int',
    min: 1,
    max: 10_000,
    default: 100,
    description: 'Most continuations one object may go through before it is reported as failed',
    placeholder: 'n',
  },
] as const satisfies readonly OptionSpec[];

/** The handler's option specs: every ingest option (sinks default to otlp here), plus the above. */
export function lambdaOptionSpecs(): OptionSpec[] {
  // Sinks default to otlp; alert windows close with each invocation (the container may not get another).
  const lambdaDefaults: Readonly<Record<string, string | string[]>> = {
    to: ['otlp'],
    'alerts-windows': 'unit',
  };
  const specs = INGEST_OPTIONS().map((s): OptionSpec => {
    const lambdaDefault = lambdaDefaults[s.name];
    return lambdaDefault === undefined ? s : { ...s, default: lambdaDefault };
  });
  const names = new Set(specs.map((s) => s.name));
  return [...specs, ...LAMBDA_OPTIONS.filter((s) => !names.has(s.name))];
}

/** Resolves the configuration from the environment, as the CLI would from flags. Throws ConfigError. */
export function resolveLambdaConfig(env: NodeJS.ProcessEnv): ResolvedOptions {
  return resolveWithConfig(lambdaOptionSpecs(), undefined, env);
}
