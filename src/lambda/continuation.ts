import type { ResolvedOptions } from '../config/options.js';
import { ConfigError, optionsOf } from '../config/options.js';
import type { Continuation } from '../sources/s3-events.js';
import { LAMBDA_OPTIONS } from './config.js';

/** Hands a continuation on; resolves to a short description of where it went. */
export type ContinuationSender = (continuation: Continuation) => Promise<string>;

/**
 * The sender the configuration asks for: the SQS queue (`FLOWLENS_CONTINUATION_QUEUE_URL`),
 * or an asynchronous invocation of this same function. The SDK clients load on first use.
 */
export function continuationSender(
  options: ResolvedOptions,
  env: NodeJS.ProcessEnv,
): ContinuationSender | undefined {
  const o = optionsOf(LAMBDA_OPTIONS, options);
  const mode = o.continuation ?? 'auto';
  const queueUrl = o['continuation-queue-url'];
  const fn = env.AWS_LAMBDA_FUNCTION_NAME;
  if (mode === 'off') return undefined;
  if (mode === 'sqs' || (mode === 'auto' && queueUrl)) {
    if (!queueUrl) throw new ConfigError('FLOWLENS_CONTINUATION: sqs needs FLOWLENS_CONTINUATION_QUEUE_URL');
    return sqsSender(queueUrl, env);
  }
  if (!fn) {
    if (mode === 'invoke')
      throw new ConfigError('FLOWLENS_CONTINUATION: invoke needs AWS_LAMBDA_FUNCTION_NAME');
    return undefined;
  }
  return invokeSender(fn);
}

function sqsSender(queueUrl: string, env: NodeJS.ProcessEnv): ContinuationSender {
  let client: import('@aws-sdk/client-sqs').SQSClient | undefined;
  return async (continuation) => {
    const { SQSClient, SendMessageCommand } = await import('@aws-sdk/client-sqs');
    const region = env.AWS_REGION ?? regionOfQueue(queueUrl);
    client ??= new SQSClient(region ? { region } : {});
    const out = await client.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(continuation) }),
    );
    return `sqs message ${out.MessageId ?? '?'}`;
  };
}

function invokeSender(functionName: string): ContinuationSender {
  let client: import('@aws-sdk/client-lambda').LambdaClient | undefined;
  return async (continuation) => {
    const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
    client ??= new LambdaClient({});
    await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(continuation)),
      }),
    );
    return `async invocation of ${functionName}`;
  };
}

/** `https://sqs.<region>.amazonaws.com/<acct>/<name>` → region. */
function regionOfQueue(url: string): string | undefined {
  return /sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(url)?.[1];
}
