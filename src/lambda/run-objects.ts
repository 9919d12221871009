import { optionsOf } from '../config/options.js';
import { RunStats } from '../core/stats.js';
import type { Decoder, SourceInput } from '../core/types.js';
import type { RunReport } from '../pipeline/report.js';
import { SOURCE_OPTIONS } from '../sources/options.js';
import type { Continuation, ObjectRef } from '../sources/s3-events.js';
import { S3ObjectInput } from '../sources/s3-object.js';
import { BudgetState, budgetedDecoder, type TimeBudget } from './budget.js';
import { LAMBDA_OPTIONS } from './config.js';
import type { LambdaRuntime } from './runtime.js';

export interface ObjectsWork {
  readonly objects: readonly ObjectRef[];
  /** Resume the first object after this record position (a continuation). */
  readonly resumeAfter?: number;
  /** Continuations this work already went through. */
  readonly hops?: number;
  /** Provenance added to every batch source (e.g. the SQS message id). */
  readonly context?: Readonly<Record<string, string>>;
}

export interface ObjectsOutcome {
  readonly report: RunReport;
  /** Objects opened (including the one a stop interrupted). */
  readonly objects: number;
  /** Set when time ran low: what the next invocation must do. */
  readonly continuation?: Continuation;
  /** Where the continuation went, or why it could not be sent. */
  readonly handedOn?: string;
  /** False when anything failed: an object, a sink, or handing on the rest. */
  readonly ok: boolean;
  readonly errors: readonly string[];
}

/**
 * Reads S3 objects through the container's pipeline as one unit, stopping at a batch boundary
 * when the invocation's time runs low and handing the rest on as a continuation.
 */
export async function runObjects(
  runtime: LambdaRuntime,
  work: ObjectsWork,
  budget: TimeBudget,
): Promise<ObjectsOutcome> {
  const stats = new RunStats();
  const state = new BudgetState(budget);
  const readOptions = {
    retries: optionsOf(SOURCE_OPTIONS, runtime.options)['s3-retries'],
    log: (m: string) => runtime.log({ level: 'warn', message: m }),
  };
  const inputs = work.objects.map(
    (o) =>
      new S3ObjectInput(
        runtime.s3,
        { bucket: o.bucket, keys: o.keys, size: o.size, context: work.context },
        readOptions,
      ),
  );
  if (work.resumeAfter && inputs[0]) state.resumeAfter.set(inputs[0], work.resumeAfter);
  let pending: S3ObjectInput[] = [];
  let opened = 0;
  async function* feed(): AsyncIterable<SourceInput> {
    for (let i = 0; i < inputs.length; i++) {
      if (state.stopped || state.low()) {
        pending = inputs.slice(i);
        return;
      }
      opened++;
      // Resolve the key first (decoded, else as given) so every batch names the object read.
      await inputs[i]!.ready();
      inputs[i + 1]?.prefetch();
      yield inputs[i]!;
    }
  }
  const pipeline = await runtime.pipeline();
  const report = await pipeline.deliver({
    id: work.context?.sqs_message_id ? `sqs:${work.context.sqs_message_id}` : 's3:objects',
    inputs: feed(),
    wrapDecoder: (decode: Decoder) => budgetedDecoder(decode, state),
    stats,
  });
  for (const p of pending) p.discard();
  const errors = [
    ...stats.errors.map((e) => `${e.source}: ${e.message}`),
    ...report.sinks.flatMap((s) => s.errors.map((m) => `sink ${s.name}: ${m}`)),
  ];
  let ok = report.ok;
  const stop = state.stopped;
  if (!stop && pending.length === 0) return { report, objects: opened, ok, errors };

  const hops = (work.hops ?? 0) + 1;
  const stoppedInput = stop?.input as S3ObjectInput | undefined;
  const continuation: Continuation = {
    flowlens: 'continuation',
    version: 1,
    ...(stoppedInput
      ? {
          current: {
            object: {
              bucket: stoppedInput.bucket,
              keys: [stoppedInput.resolvedKey],
              size: stoppedInput.size,
            },
            after: stop!.after,
          },
        }
      : {}),
    pending: pending.map((p) => p.spec),
    hops,
  };
  const maxHops = optionsOf(LAMBDA_OPTIONS, runtime.options)['max-hops'];
  let handedOn: string;
  if (!ok) {
    // A failed run is retried whole by its trigger; a continuation would duplicate work.
    handedOn = 'not sent: the run failed and will be retried';
  } else if (hops > maxHops) {
    ok = false;
    handedOn = `not sent: ${hops} continuations exceed FLOWLENS_MAX_HOPS`;
    errors.push(handedOn);
  } else if (!runtime.sendContinuation) {
    ok = false;
    handedOn =
      'not sent: no continuation route (set FLOWLENS_CONTINUATION_QUEUE_URL or allow self-invocation)';
    errors.push(handedOn);
  } else {
    try {
      handedOn = await runtime.sendContinuation(continuation);
    } catch (err) {
      ok = false;
      handedOn = `not sent: ${(err as Error).message}`;
      errors.push(`continuation ${handedOn}`);
    }
  }
  return { report, objects: opened, continuation, handedOn, ok, errors };
}
