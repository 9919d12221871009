import type { S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SourceInput } from '../core/types.js';
import type { SharedPipeline } from '../pipeline/shared.js';
import { type MessageWork, messageWork, parseJson } from '../sources/s3-events.js';
import { S3ObjectInput } from '../sources/s3-object.js';
import type { Logger } from './log.js';
import type { ServiceMetrics } from './metrics.js';

export interface SqsFrontConfig {
  readonly queueUrl: string;
  /** Messages being delivered at once. */
  readonly maxMessages: number;
  /** Long-poll wait of each ReceiveMessage (0–20 s). */
  readonly waitSeconds: number;
  /** Visibility timeout asked for at receive, and renewed at half of it while a message runs. */
  readonly visibilitySeconds: number;
  /** Visibility given back to a message that failed: when the queue offers it again. */
  readonly retrySeconds: number;
  readonly region: string | undefined;
  readonly s3: S3Client;
  readonly s3Retries: number;
  readonly pipeline: SharedPipeline;
  readonly log: Logger;
  readonly metrics: ServiceMetrics;
}

/**
 * `serve --sqs-queue-url`: S3 notifications without Lambda. Long-polls the queue, reads the
 * objects each message names through the shared pipeline, and deletes a message only once
 * every record of its objects is delivered (its receipt). While a message runs its visibility
 * is extended; a message that failed is made visible again after `retrySeconds` and otherwise
 * left alone, so the queue's redrive policy decides when it moves to a dead-letter queue.
 */
export class SqsFront {
  private readonly sqs: SQSClient;
  private readonly abort = new AbortController();
  private readonly running = new Set<Promise<void>>();
  private slotFreed: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly config: SqsFrontConfig) {
    const url = new URL(config.queueUrl);
    const region = config.region ?? regionOfQueue(url) ?? process.env.AWS_REGION ?? 'us-east-1';
    // Queues outside AWS (a test server, LocalStack) are reached at the URL's own origin.
    const endpoint = url.hostname.endsWith('.amazonaws.com') ? undefined : url.origin;
    this.sqs = new SQSClient({ region, ...(endpoint ? { endpoint } : {}) });
  }

  /** Messages being delivered now. */
  get inFlight(): number {
    return this.running.size;
  }

  start(): void {
    this.loop ??= this.poll();
  }

  /**
   * Stops receiving (an open long poll is abandoned: its messages, if any, stay invisible until
   * their timeout and come back), then waits for the messages in flight.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    this.slotFreed?.();
    await this.loop;
    while (this.running.size > 0) await Promise.all([...this.running]);
    this.sqs.destroy();
  }

  private async poll(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      while (this.running.size >= this.config.maxMessages && !this.stopping) {
        await new Promise<void>((resolve) => {
          this.slotFreed = resolve;
        });
      }
      if (this.stopping) break;
      let messages: Message[];
      try {
        const out = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.config.queueUrl,
            MaxNumberOfMessages: Math.min(10, this.config.maxMessages - this.running.size),
            WaitTimeSeconds: this.config.waitSeconds,
            VisibilityTimeout: this.config.visibilitySeconds,
          }),
          { abortSignal: this.abort.signal },
        );
        messages = out.Messages ?? [];
        failures = 0;
      } catch (err) {
        if (this.stopping) break;
        failures++;
        this.config.log.error(`sqs: receiving from ${this.config.queueUrl}: ${(err as Error).message}`);
        await this.pause(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)));
        continue;
      }
      for (const m of messages) {
        const task = this.handle(m).finally(() => {
          this.running.delete(task);
          this.config.metrics.sqsInFlight.set(this.running.size);
          this.slotFreed?.();
        });
        this.running.add(task);
        this.config.metrics.sqsInFlight.set(this.running.size);
      }
    }
  }

  private async handle(message: Message): Promise<void> {
    const id = message.MessageId ?? '?';
    const handle = message.ReceiptHandle;
    if (!handle) return;
    let work: MessageWork;
    try {
      work = messageWork(parseJson(message.Body ?? '', `SQS message ${id}`));
    } catch (err) {
      // Left for the redrive policy: a body nobody understands must not be deleted silently.
      this.config.log.error(`sqs message ${id}: ${(err as Error).message}`, { messageId: id });
      this.config.metrics.units.inc({ kind: 'sqs', result: 'invalid' });
      await this.visibility(id, handle, this.config.retrySeconds).catch(() => undefined);
      return;
    }
    if (work.kind === 'continuation') {
      this.config.log.error(`sqs message ${id}: a flowlens continuation is for the Lambda handler`, {
        messageId: id,
      });
      await this.visibility(id, handle, this.config.retrySeconds).catch(() => undefined);
      return;
    }
    if (work.kind === 'test' || work.objects.length === 0) {
      await this.delete(id, handle);
      return;
    }
    const keepInvisible = setInterval(
      () => {
        this.visibility(id, handle, this.config.visibilitySeconds).catch(() => undefined);
      },
      Math.max(1000, (this.config.visibilitySeconds * 1000) / 2),
    );
    let ok = false;
    try {
      const receipt = await this.config.pipeline.deliver({
        id: `sqs:${id}`,
        inputs: this.inputs(work.objects, id),
      });
      ok = receipt.ok;
      const fields = { messageId: id, objects: work.objects.length, records: receipt.stats.records };
      if (ok) this.config.log.info('sqs message delivered', fields);
      else {
        const problems = [
          ...receipt.stats.errors.map((e) => `${e.source}: ${e.message}`),
          ...receipt.sinks.flatMap((s) => s.errors.map((m) => `sink ${s.name}: ${m}`)),
        ];
        this.config.log.error('sqs message not delivered; left for a retry', {
          ...fields,
          errors: problems.slice(0, 5),
        });
      }
    } catch (err) {
      this.config.log.error(`sqs message ${id}: ${(err as Error).message}`, { messageId: id });
    } finally {
      clearInterval(keepInvisible);
    }
    if (ok) await this.delete(id, handle);
    else await this.visibility(id, handle, this.config.retrySeconds).catch(() => undefined);
  }

  /** The message's objects, each resolved (decoded key, else as given) before it is read. */
  private async *inputs(
    objects: ReadonlyArray<{ bucket: string; keys: readonly string[]; size?: number | undefined }>,
    messageId: string,
  ): AsyncIterable<SourceInput> {
    const readOptions = {
      retries: this.config.s3Retries,
      log: (m: string) => this.config.log.warn(m, { messageId }),
    };
    const inputs = objects.map(
      (o) =>
        new S3ObjectInput(
          this.config.s3,
          { bucket: o.bucket, keys: o.keys, size: o.size, context: { sqs_message_id: messageId } },
          readOptions,
        ),
    );
    for (let i = 0; i < inputs.length; i++) {
      // A missing object fails as that input (when it is opened); the others are still read.
      await inputs[i]!.ready().catch(() => undefined);
      inputs[i + 1]?.prefetch();
      yield inputs[i]!;
    }
  }

  private async delete(id: string, handle: string): Promise<void> {
    try {
      await this.sqs.send(
        new DeleteMessageCommand({ QueueUrl: this.config.queueUrl, ReceiptHandle: handle }),
      );
    } catch (err) {
      // Delivered but not deleted: the queue offers it again and the sinks see it twice.
      this.config.log.error(
        `sqs message ${id}: delivered, but deleting it failed: ${(err as Error).message}`,
      );
    }
  }

  private async visibility(id: string, handle: string, seconds: number): Promise<void> {
    try {
      await this.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.config.queueUrl,
          ReceiptHandle: handle,
          VisibilityTimeout: seconds,
        }),
      );
    } catch (err) {
      this.config.log.warn(`sqs message ${id}: changing its visibility: ${(err as Error).message}`);
      throw err;
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.abort.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` → region. */
function regionOfQueue(url: URL): string | undefined {
  return /^sqs\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname)?.[1];
}
