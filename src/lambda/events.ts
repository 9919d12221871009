/**
 * Recognises every event shape the handler is wired to (spec sheet sections C, D.1, E) and
 * reduces it to work: S3 objects to read, CloudWatch Logs payloads to decode, Firehose
 * records to transform, or a continuation of an object a previous invocation did not finish.
 */

/** An S3 object named by a notification. `keys`: the URL-decoded key first, then the key as given. */
export interface ObjectRef {
  readonly bucket: string;
  readonly keys: readonly string[];
  readonly size?: number | undefined;
}

/** What an invocation that ran short of time hands on (see docs/aws.md, "Continuations"). */
export interface Continuation {
  readonly flowlens: 'continuation';
  readonly version: 1;
  /** The object being read when time ran low, and the last record position already delivered. */
  readonly current?: { readonly object: ObjectRef; readonly after: number };
  /** Objects of the same event not started yet. */
  readonly pending: readonly ObjectRef[];
  /** How many times this work has been handed on (a guard against endless loops). */
  readonly hops: number;
}

/** The content of one queue message or notification. */
export type MessageWork =
  | { readonly kind: 'objects'; readonly objects: readonly ObjectRef[] }
  | { readonly kind: 'continuation'; readonly continuation: Continuation }
  | { readonly kind: 'test' };

export interface FirehoseTransformRecord {
  readonly recordId: string;
  readonly data: string;
}

export type LambdaWork =
  | { readonly kind: 'message'; readonly work: MessageWork; readonly source: string }
  | { readonly kind: 'sqs'; readonly messages: ReadonlyArray<SqsMessage> }
  | { readonly kind: 'kinesis'; readonly records: ReadonlyArray<{ sequenceNumber: string; data: string }> }
  | { readonly kind: 'awslogs'; readonly data: string }
  | {
      readonly kind: 'firehose';
      readonly invocationId: string;
      readonly records: readonly FirehoseTransformRecord[];
    };

export interface SqsMessage {
  readonly messageId: string;
  /** The message's work, or why it could not be understood (that message alone fails). */
  readonly work: MessageWork | { readonly kind: 'invalid'; readonly error: string };
}

export class EventError extends Error {
  override name = 'EventError';
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Classifies a Lambda event; throws EventError for a shape the handler does not know. */
export function classifyEvent(event: unknown): LambdaWork {
  if (!isObject(event)) throw new EventError('event is not a JSON object');
  if (isObject(event.awslogs) && typeof event.awslogs.data === 'string') {
    return { kind: 'awslogs', data: event.awslogs.data };
  }
  if (Array.isArray(event.records) && typeof event.invocationId === 'string') {
    return {
      kind: 'firehose',
      invocationId: event.invocationId,
      records: event.records.map((r, i) => {
        if (!isObject(r) || typeof r.recordId !== 'string' || typeof r.data !== 'string') {
          throw new EventError(`Firehose record ${i}: expected recordId and data strings`);
        }
        return { recordId: r.recordId, data: r.data };
      }),
    };
  }
  const records = event.Records;
  if (Array.isArray(records) && records.length > 0 && isObject(records[0])) {
    const source = records[0].eventSource ?? records[0].EventSource;
    if (source === 'aws:sqs') {
      return {
        kind: 'sqs',
        messages: records.map((r, i) => {
          const rec = isObject(r) ? r : {};
          const messageId = typeof rec.messageId === 'string' ? rec.messageId : '';
          if (typeof rec.body !== 'string') {
            return { messageId, work: { kind: 'invalid', error: `SQS record ${i}: no body` } };
          }
          try {
            return { messageId, work: messageWork(parseJson(rec.body, `SQS message ${messageId}`)) };
          } catch (err) {
            return { messageId, work: { kind: 'invalid', error: (err as Error).message } };
          }
        }),
      };
    }
    if (source === 'aws:kinesis') {
      return {
        kind: 'kinesis',
        records: records.map((r, i) => {
          const k = isObject(r) && isObject(r.kinesis) ? r.kinesis : undefined;
          if (!k || typeof k.sequenceNumber !== 'string' || typeof k.data !== 'string') {
            throw new EventError(`Kinesis record ${i}: expected kinesis.sequenceNumber and kinesis.data`);
          }
          return { sequenceNumber: k.sequenceNumber, data: k.data };
        }),
      };
    }
    if (source === 'aws:sns') {
      // SNS → Lambda: each record's Sns.Message is an S3 notification.
      const objects: ObjectRef[] = [];
      for (const r of records) {
        const msg = isObject(r) && isObject(r.Sns) ? r.Sns.Message : undefined;
        if (typeof msg !== 'string') throw new EventError('SNS record without Sns.Message');
        const work = messageWork(parseJson(msg, 'SNS message'));
        if (work.kind === 'objects') objects.push(...work.objects);
      }
      return { kind: 'message', work: { kind: 'objects', objects }, source: 'sns' };
    }
  }
  return { kind: 'message', work: messageWork(event), source: 'direct' };
}

/**
 * The work in one S3-side message: an S3 notification, an SNS envelope around one (two JSON
 * decodes), an EventBridge "Object Created" event, the S3 test event, or our continuation.
 */
export function messageWork(msg: unknown): MessageWork {
  if (!isObject(msg)) throw new EventError('message is not a JSON object');
  if (msg.Type === 'Notification' && typeof msg.Message === 'string') {
    return messageWork(parseJson(msg.Message, 'SNS Message'));
  }
  if (msg.flowlens === 'continuation') return { kind: 'continuation', continuation: parseContinuation(msg) };
  if (msg.Event === 's3:TestEvent') return { kind: 'test' };
  if (Array.isArray(msg.Records)) {
    const objects: ObjectRef[] = [];
    for (const [i, r] of msg.Records.entries()) {
      if (!isObject(r) || !isObject(r.s3)) throw new EventError(`S3 notification record ${i}: no s3 member`);
      if (typeof r.eventName === 'string' && !r.eventName.startsWith('ObjectCreated')) continue;
      const bucket = isObject(r.s3.bucket) ? r.s3.bucket.name : undefined;
      const object = isObject(r.s3.object) ? r.s3.object : undefined;
      if (typeof bucket !== 'string' || !object || typeof object.key !== 'string') {
        throw new EventError(`S3 notification record ${i}: expected s3.bucket.name and s3.object.key`);
      }
      objects.push(objectRef(bucket, object.key, object.size));
    }
    return { kind: 'objects', objects };
  }
  if (msg['detail-type'] !== undefined && msg.source === 'aws.s3') {
    if (msg['detail-type'] !== 'Object Created') return { kind: 'objects', objects: [] };
    const d = isObject(msg.detail) ? msg.detail : {};
    const bucket = isObject(d.bucket) ? d.bucket.name : undefined;
    const object = isObject(d.object) ? d.object : undefined;
    if (typeof bucket !== 'string' || !object || typeof object.key !== 'string') {
      throw new EventError('EventBridge Object Created: expected detail.bucket.name and detail.object.key');
    }
    return { kind: 'objects', objects: [objectRef(bucket, object.key, object.size)] };
  }
  throw new EventError(`unrecognised event (keys: ${Object.keys(msg).slice(0, 8).join(', ') || 'none'})`);
}

/** Keys arrive form-encoded (`+` is a space); the decoded key is tried first, then the raw one. */
export function objectRef(bucket: string, rawKey: string, size: unknown): ObjectRef {
  const decoded = formDecode(rawKey);
  const keys = decoded !== undefined && decoded !== rawKey ? [decoded, rawKey] : [rawKey];
  return { bucket, keys, ...(typeof size === 'number' ? { size } : {}) };
}

export function formDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

function parseContinuation(msg: Json): Continuation {
  const bad = (what: string): EventError => new EventError(`flowlens continuation: ${what}`);
  const toRef = (o: unknown): ObjectRef => {
    if (!isObject(o) || typeof o.bucket !== 'string' || !Array.isArray(o.keys) || o.keys.length === 0) {
      throw bad('object without bucket and keys');
    }
    if (!o.keys.every((k) => typeof k === 'string')) throw bad('keys must be strings');
    return {
      bucket: o.bucket,
      keys: o.keys as string[],
      ...(typeof o.size === 'number' ? { size: o.size } : {}),
    };
  };
  let current: Continuation['current'];
  if (msg.current !== undefined) {
    const c = msg.current;
    if (!isObject(c) || typeof c.after !== 'number' || c.after < 0)
      throw bad('current.after must be a number');
    current = { object: toRef(c.object), after: c.after };
  }
  if (!Array.isArray(msg.pending)) throw bad('pending must be a list');
  return {
    flowlens: 'continuation',
    version: 1,
    ...(current ? { current } : {}),
    pending: msg.pending.map(toRef),
    hops: typeof msg.hops === 'number' ? msg.hops : 0,
  };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new EventError(`${what}: not JSON (${(err as Error).message})`);
  }
}
