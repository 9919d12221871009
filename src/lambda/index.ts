/**
 * The Lambda entry point: one handler for S3 notifications (direct, SQS, SNS, EventBridge),
 * Kinesis and direct CloudWatch Logs subscriptions, Firehose transformation, and its own
 * continuations. Configured from the environment (see docs/aws.md).
 */
import { createHandler } from './handler.js';

export const handler = createHandler();
export { createHandler };
