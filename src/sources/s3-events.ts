/**
 * The S3-side messages flowlens reads: S3 event notifications (direct, wrapped by SNS, or as
 * EventBridge "Object Created" events), the S3 test event, and the continuations the Lambda
 * hands on. Shared by the Lambda handler and `serve --sqs-queue-url`.
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

export class EventError extends Error {
  override name = 'EventError';
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

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

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new EventError(`${what}: not JSON (${(err as Error).message})`);
  }
}
