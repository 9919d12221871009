import { type ReceivedRequest, type Reply, TestHttpServer } from './http-server.js';
import {
  decodeJsonRequest,
  decodeProtoRequest,
  ExportLogsServiceResponse,
  type ReceivedRecord,
  RpcStatus,
} from './otlp-proto.js';

export type OtlpReply =
  | Reply
  | { readonly kind: 'partial'; readonly rejected: number; readonly message: string }
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly message: string;
      readonly retryAfter?: string;
    };

/**
 * An OTLP/HTTP logs receiver (protobuf and JSON on one port, as the spec asks) that decodes
 * with the protocol definitions and keeps every record it acknowledged.
 */
export class OtlpHttpReceiver {
  /** Records of requests answered 200 (including the rejected part of a partial success). */
  readonly accepted: ReceivedRecord[] = [];
  /** Records of every request received, acknowledged or not. */
  readonly seen: ReceivedRecord[] = [];
  readonly resourceLogsPerRequest: number[] = [];
  readonly server: TestHttpServer;

  constructor(
    plan: (req: ReceivedRequest) => OtlpReply = () => ({ kind: 'ok' }),
    tls?: { key: Buffer; cert: Buffer },
  ) {
    this.server = new TestHttpServer((req) => this.reply(req, plan(req)), undefined, tls);
  }

  get url(): string {
    return this.server.url;
  }

  get requests(): readonly ReceivedRequest[] {
    return this.server.requests;
  }

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private reply(req: ReceivedRequest, planned: OtlpReply): Reply {
    const json = String(req.headers['content-type']).includes('json');
    const decoded = json ? decodeJsonRequest(req.body.toString('utf8')) : decodeProtoRequest(req.body);
    this.seen.push(...decoded.records);
    const ct = json ? 'application/json' : 'application/x-protobuf';
    const accept = (): void => {
      this.accepted.push(...decoded.records);
      this.resourceLogsPerRequest.push(decoded.resourceLogs);
    };
    switch (planned.kind) {
      case 'ok':
        accept();
        return { kind: 'body', contentType: ct, body: json ? '{}' : new Uint8Array(0) };
      case 'partial': {
        accept();
        const partialSuccess = { rejectedLogRecords: planned.rejected, errorMessage: planned.message };
        const body = json
          ? JSON.stringify({
              partialSuccess: { ...partialSuccess, rejectedLogRecords: String(planned.rejected) },
            })
          : ExportLogsServiceResponse.encode(
              ExportLogsServiceResponse.fromObject({ partialSuccess }),
            ).finish();
        return { kind: 'body', contentType: ct, body };
      }
      case 'error': {
        const status = { code: planned.status === 400 ? 3 : 14, message: planned.message };
        const body = json ? JSON.stringify(status) : RpcStatus.encode(RpcStatus.fromObject(status)).finish();
        return {
          kind: 'status',
          status: planned.status,
          body,
          headers: {
            'content-type': ct,
            ...(planned.retryAfter ? { 'retry-after': planned.retryAfter } : {}),
          },
        };
      }
      default:
        return planned;
    }
  }
}
