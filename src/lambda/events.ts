/**
 * Recognises every event shape the handler is wired to (spec sheet sections C, D.1, E) and
 * reduces it to work: S3 objects to read, CloudWatch Logs payloads to decode, Firehose
 * records to transform, or a continuation of an object a previous invocation did not finish.
 */

import {
  EventError,
  type MessageWork,
  messageWork,
  type ObjectRef,
  parseJson,
} from '../sources/s3-events.js';

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
