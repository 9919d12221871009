import { randomUUID } from 'node:crypto';
import type { ReceivedRequest } from './http-server.js';
import { TestHttpServer } from './http-server.js';

/** One Publish call as the SNS Query protocol carries it (form-encoded parameters). */
export interface PublishCall {
  readonly topicArn: string;
  readonly subject: string | null;
  readonly message: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * An Amazon SNS endpoint on loopback speaking the Query protocol the AWS SDK uses for SNS:
 * `POST /` with `Action=Publish&Version=2010-03-31&TopicArn=…&Message=…` form-encoded, answered
 * with the PublishResponse XML (or an ErrorResponse). `plan` picks the answer per request.
 */
export class SnsQueryReceiver {
  readonly published: PublishCall[] = [];
  readonly server: TestHttpServer;

  constructor(plan: (req: ReceivedRequest, index: number) => 'ok' | 'throttle' | 'not-found' = () => 'ok') {
    this.server = new TestHttpServer((req) => {
      const form = new URLSearchParams(req.body.toString('utf8'));
      if (form.get('Action') !== 'Publish')
        return {
          kind: 'status',
          status: 400,
          body: error('InvalidAction', `unsupported action ${form.get('Action')}`),
        };
      const answer = plan(req, req.index);
      if (answer === 'throttle')
        return { kind: 'status', status: 400, body: error('Throttling', 'Rate exceeded'), headers: xml };
      if (answer === 'not-found')
        return { kind: 'status', status: 404, body: error('NotFound', 'Topic does not exist'), headers: xml };
      const attributes: Record<string, string> = {};
      for (let k = 1; form.has(`MessageAttributes.entry.${k}.Name`); k++) {
        attributes[form.get(`MessageAttributes.entry.${k}.Name`)!] =
          form.get(`MessageAttributes.entry.${k}.Value.StringValue`) ?? '';
      }
      this.published.push({
        topicArn: form.get('TopicArn') ?? '',
        subject: form.get('Subject'),
        message: form.get('Message') ?? '',
        attributes,
      });
      const body = `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`;
      return { kind: 'body', body, contentType: 'text/xml' };
    });
  }

  get url(): string {
    return this.server.url;
  }

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

const xml = { 'content-type': 'text/xml' };

function error(code: string, message: string): string {
  return `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}
