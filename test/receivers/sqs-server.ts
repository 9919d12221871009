import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A message as the test queue keeps it. */
export interface QueuedMessage {
  readonly id: string;
  readonly body: string;
  receiveCount: number;
  /** Epoch ms before which receives skip it. */
  visibleAt: number;
  /** The handle of its latest receive: only that one may delete it or change its visibility. */
  handle: string | undefined;
}

/**
 * One SQS queue on loopback speaking the SQS JSON protocol (AWS JSON 1.0, `X-Amz-Target:
 * AmazonSQS.<Action>`), as the AWS SDK v3 client sends it: SendMessage, ReceiveMessage (long
 * polling woken by new or re-visible messages), DeleteMessage and ChangeMessageVisibility.
 * Messages received more than `maxReceiveCount` times move to `deadLetters` (a redrive policy).
 */
export class SqsTestServer {
  readonly messages: QueuedMessage[] = [];
  readonly deadLetters: QueuedMessage[] = [];
  readonly deleted: QueuedMessage[] = [];
  /** Every action called, in order (`ReceiveMessage`, `DeleteMessage`, …). */
  readonly calls: string[] = [];
  private readonly server: Server;
  private readonly waiters = new Set<() => void>();
  private readonly changeListeners = new Set<() => void>();
  url = '';

  constructor(private readonly maxReceiveCount = 5) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, 500, 'InternalError', String(err)));
    });
  }

  get queueUrl(): string {
    return `${this.url}/000000000000/flow-logs`;
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const w of this.waiters) w();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  send(body: string): string {
    const id = randomUUID();
    this.messages.push({ id, body, receiveCount: 0, visibleAt: 0, handle: undefined });
    this.wake();
    return id;
  }

  /** Resolves once `done()` holds, checked after every change to the queue. */
  until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (!done()) return;
        this.changeListeners.delete(check);
        resolve();
      };
      this.changeListeners.add(check);
    });
  }

  private changed(): void {
    for (const l of [...this.changeListeners]) l();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    this.calls.push(action);
    if (input.QueueUrl !== this.queueUrl) {
      return this.fail(
        res,
        400,
        'AWS.SimpleQueueService.NonExistentQueue',
        'The specified queue does not exist.',
      );
    }
    switch (action) {
      case 'SendMessage': {
        const id = this.send(String(input.MessageBody));
        return this.reply(res, { MessageId: id, MD5OfMessageBody: md5(String(input.MessageBody)) });
      }
      case 'ReceiveMessage':
        return this.reply(res, { Messages: await this.receive(input, req) });
      case 'DeleteMessage': {
        const m = this.byHandle(input.ReceiptHandle);
        if (!m) return this.fail(res, 400, 'ReceiptHandleIsInvalid', 'The receipt handle is not valid.');
        this.messages.splice(this.messages.indexOf(m), 1);
        this.deleted.push(m);
        this.changed();
        return this.reply(res, {});
      }
      case 'ChangeMessageVisibility': {
        const m = this.byHandle(input.ReceiptHandle);
        if (!m) return this.fail(res, 400, 'ReceiptHandleIsInvalid', 'The receipt handle is not valid.');
        m.visibleAt = Date.now() + Number(input.VisibilityTimeout) * 1000;
        if (Number(input.VisibilityTimeout) === 0) this.wake();
        this.changed();
        return this.reply(res, {});
      }
      default:
        return this.fail(res, 400, 'UnsupportedOperation', `action ${action || '(none)'} is not supported`);
    }
  }

  private async receive(input: Record<string, unknown>, req: IncomingMessage): Promise<unknown[]> {
    const max = Number(input.MaxNumberOfMessages ?? 1);
    const visibility = Number(input.VisibilityTimeout ?? 30);
    const deadline = Date.now() + Number(input.WaitTimeSeconds ?? 0) * 1000;
    for (;;) {
      const now = Date.now();
      this.redrive(now);
      const ready = this.messages.filter((m) => m.visibleAt <= now).slice(0, max);
      if (ready.length > 0 || now >= deadline || req.socket.destroyed) {
        const out = ready.map((m) => {
          m.receiveCount++;
          m.visibleAt = now + visibility * 1000;
          m.handle = randomUUID();
          return { MessageId: m.id, ReceiptHandle: m.handle, MD5OfBody: md5(m.body), Body: m.body };
        });
        if (out.length) this.changed();
        return out;
      }
      // Woken by a new or re-visible message, the client going away, or the next visibility expiry.
      const nextVisible = Math.min(deadline, ...this.messages.map((m) => m.visibleAt));
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          req.socket.off('close', done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(1, nextVisible - Date.now()));
        this.waiters.add(done);
        req.socket.once('close', done);
      });
    }
  }

  /** Visible messages received too often move to the dead-letter list. */
  private redrive(now: number): void {
    for (const m of [...this.messages]) {
      if (m.visibleAt <= now && m.receiveCount >= this.maxReceiveCount) {
        this.messages.splice(this.messages.indexOf(m), 1);
        this.deadLetters.push(m);
        this.changed();
      }
    }
  }

  private byHandle(handle: unknown): QueuedMessage | undefined {
    return this.messages.find((m) => m.handle !== undefined && m.handle === handle);
  }

  private reply(res: ServerResponse, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(200, {
      'Content-Type': 'application/x-amz-json-1.0',
      'x-amzn-RequestId': randomUUID(),
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  private fail(res: ServerResponse, status: number, code: string, message: string): void {
    if (res.headersSent) return;
    const text = JSON.stringify({ __type: `com.amazonaws.sqs#${code}`, message });
    res.writeHead(status, {
      'Content-Type': 'application/x-amz-json-1.0',
      'x-amzn-query-error': `${code};Sender`,
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  }
}

function md5(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}
