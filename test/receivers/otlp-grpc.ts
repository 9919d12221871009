import * as grpc from '@grpc/grpc-js';
import {
  decodeProtoRequest,
  ExportLogsServiceResponse,
  type ReceivedRecord,
  RetryInfo,
  RpcStatus,
} from './otlp-proto.js';

export type GrpcReply =
  | { readonly kind: 'ok' }
  | { readonly kind: 'partial'; readonly rejected: number; readonly message: string }
  | {
      readonly kind: 'error';
      readonly code: grpc.status;
      readonly message: string;
      readonly retryDelayMs?: number;
    }
  /** Never answers: the client's deadline expires. */
  | { readonly kind: 'stall' };

/** An OTLP/gRPC logs receiver: LogsService/Export with messages from the protocol definitions. */
export class OtlpGrpcReceiver {
  readonly accepted: ReceivedRecord[] = [];
  readonly metadata: grpc.Metadata[] = [];
  calls = 0;
  /** Stalled calls the client gave up on (its deadline), as the server saw them. */
  cancelled = 0;
  private readonly server = new grpc.Server();
  url = '';

  constructor(
    private readonly plan: (call: number, records: number) => GrpcReply = () => ({ kind: 'ok' }),
    /** Serve TLS with this key and certificate (PEM). */
    private readonly tls?: { key: Buffer; cert: Buffer },
  ) {}

  async start(): Promise<this> {
    const service: grpc.ServiceDefinition = {
      Export: {
        path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
        requestStream: false,
        responseStream: false,
        // Keep the raw bytes: the test decodes them with the protocol definitions below.
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (m: Uint8Array) => Buffer.from(m),
        responseDeserialize: (b: Buffer) => b,
      },
    };
    this.server.addService(service, {
      Export: (call: grpc.ServerUnaryCall<Buffer, Uint8Array>, callback: grpc.sendUnaryData<Uint8Array>) => {
        const index = this.calls++;
        this.metadata.push(call.metadata);
        let records: ReceivedRecord[];
        try {
          records = decodeProtoRequest(call.request).records;
        } catch (err) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: (err as Error).message });
          return;
        }
        const reply = this.plan(index, records.length);
        if (reply.kind === 'stall') {
          call.on('cancelled', () => this.cancelled++);
          return;
        }
        if (reply.kind === 'error') {
          const metadata = new grpc.Metadata();
          if (reply.retryDelayMs !== undefined) {
            const info = RetryInfo.encode(
              RetryInfo.fromObject({
                retryDelay: {
                  seconds: Math.floor(reply.retryDelayMs / 1000),
                  nanos: (reply.retryDelayMs % 1000) * 1e6,
                },
              }),
            ).finish();
            const status = RpcStatus.encode(
              RpcStatus.fromObject({
                code: reply.code,
                message: reply.message,
                details: [{ typeUrl: 'type.googleapis.com/google.rpc.RetryInfo', value: info }],
              }),
            ).finish();
            metadata.set('grpc-status-details-bin', Buffer.from(status));
          }
          callback({ code: reply.code, details: reply.message, metadata });
          return;
        }
        this.accepted.push(...records);
        const partialSuccess =
          reply.kind === 'partial'
            ? { rejectedLogRecords: reply.rejected, errorMessage: reply.message }
            : undefined;
        callback(
          null,
          ExportLogsServiceResponse.encode(
            ExportLogsServiceResponse.fromObject(partialSuccess ? { partialSuccess } : {}),
          ).finish(),
        );
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', this.credentials(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.url = `${this.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return this;
  }

  private credentials(): grpc.ServerCredentials {
    if (!this.tls) return grpc.ServerCredentials.createInsecure();
    return grpc.ServerCredentials.createSsl(
      null,
      [{ private_key: this.tls.key, cert_chain: this.tls.cert }],
      false,
    );
  }

  async stop(): Promise<void> {
    this.server.forceShutdown();
  }
}
