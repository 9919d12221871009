import { ConfigError, optionsOf } from '../config/options.js';
import { RunStats } from '../core/stats.js';
import { decodeBase64, payloadInput } from '../decode/payload-input.js';
import { type TransformedRecord, transformFirehose } from '../pipeline/firehose-transform.js';
import { EventError, type MessageWork } from '../sources/s3-events.js';
import { deliveryDeadlineFor, type TimeBudget } from './budget.js';
import { LAMBDA_OPTIONS } from './config.js';
import { classifyEvent } from './events.js';
import { type ObjectsOutcome, runObjects } from './run-objects.js';
import { deliveredBy, runPayloads } from './run-payloads.js';
import { createRuntime, type LambdaRuntime, type RuntimeOverrides } from './runtime.js';

/** The parts of the Lambda context the handler uses. */
export interface LambdaContext {
  getRemainingTimeInMillis?(): number;
  readonly awsRequestId?: string;
}

export interface BatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export type HandlerResult =
  | BatchResponse
  | { records: TransformedRecord[] }
  | { ok: true; objects: number; records: number; continued: boolean };

export type Handler = (event: unknown, context?: LambdaContext) => Promise<HandlerResult>;

/** Totals of one invocation, logged as one JSON line. */
class Tally {
  readonly stats = new RunStats();
  objects = 0;
  delivered = 0;
  continuations = 0;
  failedItems = 0;
  readonly errors: string[] = [];

  addObjects(o: ObjectsOutcome): void {
    this.stats.merge(o.report.stats);
    this.objects += o.objects;
    this.delivered += deliveredBy(o.report);
    if (o.continuation && o.ok) this.continuations++;
    this.errors.push(...o.errors);
  }
}

/**
 * Builds a handler. The configuration is resolved and validated once per cold start; a bad
 * setting is logged as one line naming it, and every invocation then fails with that line.
 */
export function createHandler(
  env: NodeJS.ProcessEnv = process.env,
  overrides: RuntimeOverrides = {},
): Handler {
  let runtime: Promise<LambdaRuntime> | undefined;
  const log = overrides.log ?? ((line: string) => process.stdout.write(line + '\n'));
  return async (event, context) => {
    const started = Date.now();
    runtime ??= createRuntime(env, overrides).catch((err: unknown) => {
      const message =
        err instanceof ConfigError ? `configuration: ${err.message}` : String((err as Error).message);
      log(JSON.stringify({ flowlens: 'lambda', level: 'error', message }));
      throw new Error(message);
    });
    const rt = await runtime;
    const deadline = context?.getRemainingTimeInMillis
      ? () => context.getRemainingTimeInMillis!()
      : () => Infinity;
    const budget: TimeBudget = {
      remainingMs: deadline,
      reserveMs: optionsOf(LAMBDA_OPTIONS, rt.options)['time-reserve-ms'],
    };
    const clearDeliveryDeadline = deliveryDeadlineFor(budget);
    const tally = new Tally();
    let kind = 'unknown';
    try {
      const work = classifyEvent(event);
      kind = work.kind === 'message' ? `${work.source}:${work.work.kind}` : work.kind;
      switch (work.kind) {
        case 'message': {
          const outcome = await runMessage(rt, work.work, budget, tally, {});
          if (outcome === false) throw new Error(tally.errors.slice(0, 3).join('; ') || 'run failed');
          return {
            ok: true,
            objects: tally.objects,
            records: tally.stats.records,
            continued: tally.continuations > 0,
          };
        }
        case 'sqs': {
          const failures: string[] = [];
          for (const m of work.messages) {
            if (m.work.kind === 'invalid') {
              tally.errors.push(`SQS message ${m.messageId}: ${m.work.error}`);
              failures.push(m.messageId);
              continue;
            }
            if (tally.objects > 0 && budget.remainingMs() < budget.reserveMs) {
              // Out of time before this message started: it becomes visible again and is redelivered.
              failures.push(m.messageId);
              continue;
            }
            const ok = await runMessage(rt, m.work, budget, tally, { sqs_message_id: m.messageId });
            if (!ok) failures.push(m.messageId);
          }
          tally.failedItems = failures.length;
          return { batchItemFailures: failures.map((id) => ({ itemIdentifier: id })) };
        }
        case 'kinesis': {
          const failures = await runKinesis(rt, work.records, tally);
          tally.failedItems = failures.length;
          return { batchItemFailures: failures.map((id) => ({ itemIdentifier: id })) };
        }
        case 'awslogs': {
          const bytes = decodeBase64(work.data);
          if (!bytes) throw new EventError('awslogs.data is not valid base64');
          const report = await runPayloads(
            rt,
            'awslogs',
            [payloadInput(bytes, { id: 'awslogs' })],
            tally.stats,
          );
          tally.delivered += deliveredBy(report);
          if (!report.ok) {
            const errs = [
              ...report.stats.errors.map((e) => e.message),
              ...report.sinks.flatMap((s) => s.errors),
            ];
            tally.errors.push(...errs);
            throw new Error(errs.slice(0, 3).join('; ') || 'delivery failed');
          }
          return { ok: true, objects: 0, records: tally.stats.records, continued: false };
        }
        case 'firehose': {
          const records = await transformFirehose(rt, work.invocationId, work.records, tally.stats);
          tally.delivered = records.filter((r) => r.result === 'Ok').length;
          tally.failedItems = records.filter((r) => r.result === 'ProcessingFailed').length;
          for (const e of tally.stats.errors) tally.errors.push(`${e.source}: ${e.message}`);
          return { records };
        }
      }
    } catch (err) {
      if (err instanceof EventError) tally.errors.push(err.message);
      throw err instanceof EventError ? new Error(err.message) : err;
    } finally {
      clearDeliveryDeadline();
      rt.log({
        level: tally.errors.length ? 'warn' : 'info',
        event: kind,
        objects: tally.objects,
        records: tally.stats.records,
        malformed: tally.stats.malformed,
        delivered: tally.delivered,
        failed_items: tally.failedItems,
        continuations: tally.continuations,
        duration_ms: Date.now() - started,
        ...(context?.awsRequestId ? { request_id: context.awsRequestId } : {}),
        ...(tally.errors.length ? { errors: tally.errors.slice(0, 5) } : {}),
      });
    }
  };
}

/** One S3-side message: a notification's objects, a continuation, or the S3 test event. */
async function runMessage(
  rt: LambdaRuntime,
  work: MessageWork,
  budget: TimeBudget,
  tally: Tally,
  context: Record<string, string>,
): Promise<boolean> {
  if (work.kind === 'test') return true;
  if (work.kind === 'objects' && work.objects.length === 0) return true;
  const outcome =
    work.kind === 'objects'
      ? await runObjects(rt, { objects: work.objects, context }, budget)
      : await runObjects(
          rt,
          {
            objects: [
              ...(work.continuation.current ? [work.continuation.current.object] : []),
              ...work.continuation.pending,
            ],
            ...(work.continuation.current ? { resumeAfter: work.continuation.current.after } : {}),
            hops: work.continuation.hops,
            context,
          },
          budget,
        );
  tally.addObjects(outcome);
  if (outcome.continuation)
    rt.log({
      level: 'info',
      message: `continuation ${outcome.handedOn}`,
      continuation: outcome.continuation,
    });
  return outcome.ok;
}

/** Kinesis records carrying CloudWatch Logs payloads; returns the sequence numbers that failed. */
async function runKinesis(
  rt: LambdaRuntime,
  records: ReadonlyArray<{ sequenceNumber: string; data: string }>,
  tally: Tally,
): Promise<string[]> {
  const failures: string[] = [];
  const inputs = [];
  const bySource = new Map<string, string>();
  for (const r of records) {
    const bytes = decodeBase64(r.data);
    if (!bytes) {
      tally.errors.push(`Kinesis record ${r.sequenceNumber}: data is not valid base64`);
      failures.push(r.sequenceNumber);
      continue;
    }
    const id = `kinesis:${r.sequenceNumber}`;
    bySource.set(id, r.sequenceNumber);
    inputs.push(payloadInput(bytes, { id, context: { kinesis_sequence_number: r.sequenceNumber } }));
  }
  const report = await runPayloads(rt, 'kinesis', inputs, tally.stats);
  tally.delivered += deliveredBy(report);
  for (const e of report.stats.errors) {
    tally.errors.push(`${e.source}: ${e.message}`);
    const seq = bySource.get(e.source);
    if (seq) failures.push(seq);
  }
  const sinkFailed =
    report.sinks.some((s) => s.failed > 0 || s.errors.length > 0) ||
    report.stats.errors.some((e) => e.source === 'pipeline');
  if (sinkFailed) {
    tally.errors.push(...report.sinks.flatMap((s) => s.errors.map((m) => `sink ${s.name}: ${m}`)));
    // Nothing can be confirmed delivered: the stream retries from the first record.
    return records.map((r) => r.sequenceNumber);
  }
  return failures;
}
