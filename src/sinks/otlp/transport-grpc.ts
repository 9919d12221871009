import * as grpc from '@grpc/grpc-js';
import { DeliveryError, quote, tlsFailureFromMessage } from '../../delivery/errors.js';
import type { Outcome } from '../../delivery/queue.js';
import type { OtlpConfig } from './config.js';
import { protoPartialSuccess, protoStatus } from './response.js';
import type { OtlpTransport } from './transport.js';

const METHOD = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

/** gRPC codes the OTLP spec retries (F.1); RESOURCE_EXHAUSTED only with RetryInfo. */
const RETRYABLE = new Set([
  grpc.status.CANCELLED,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.ABORTED,
  grpc.status.OUT_OF_RANGE,
  grpc.status.UNAVAILABLE,
  grpc.status.DATA_LOSS,
]);

const identity = (b: Buffer): Buffer => b;

/**
 * OTLP/gRPC with a raw-bytes method: the request is our own protobuf encoding, passed through
 * unchanged; the response bytes are read for partial success. Plain text for http://, TLS for
 * https://.
 */
export class GrpcTransport implements OtlpTransport {
  private readonly client: grpc.Client;
  private readonly metadata: grpc.Metadata;
  private readonly where: string;

  constructor(private readonly config: OtlpConfig) {
    const url = config.url;
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    const address = `${url.hostname}:${port}`;
    this.where = `OTLP gRPC ${address}`;
    const credentials =
      url.protocol === 'https:'
        ? grpc.credentials.createSsl(config.tls.ca ?? null, config.tls.key ?? null, config.tls.cert ?? null)
        : grpc.credentials.createInsecure();
    this.client = new grpc.Client(address, credentials, {
      'grpc.primary_user_agent': 'flowlens-otlp-exporter/0.1',
      ...(config.gzip ? { 'grpc.default_compression_algorithm': 2 } : {}),
    });
    this.metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(config.headers)) this.metadata.set(k, v);
  }

  /** The body goes out as is: its buffer returns to the pool only once the call has settled. */
  async prepare(body: Uint8Array): Promise<Uint8Array> {
    return body;
  }

  send(body: Uint8Array, records: number): Promise<Outcome> {
    const payload = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const options: grpc.CallOptions =
      this.config.timeoutMs > 0 ? { deadline: new Date(Date.now() + this.config.timeoutMs) } : {};
    return new Promise<Outcome>((resolve, reject) => {
      this.client.makeUnaryRequest<Buffer, Buffer>(
        METHOD,
        identity,
        identity,
        payload,
        this.metadata,
        options,
        (err, response) => {
          if (err) {
            reject(this.failure(err));
            return;
          }
          const partial = response ? protoPartialSuccess(response) : undefined;
          if (!partial) {
            resolve({ delivered: records, rejected: 0 });
            return;
          }
          const rejected = Math.min(records, partial.rejected);
          resolve({
            delivered: records - rejected,
            rejected,
            ...(partial.message ? { message: partial.message } : {}),
          });
        },
      );
    });
  }

  private failure(err: grpc.ServiceError): DeliveryError {
    // grpc-js reports a connection it could not make as UNAVAILABLE (retryable) with only the
    // last error's text: an untrusted or misnamed certificate, or a plain port, fails for good
    if (err.code === grpc.status.UNAVAILABLE) {
      const tls = tlsFailureFromMessage(lastError(err.details || err.message), this.where);
      if (tls) return tls;
    }
    const details = err.metadata?.get('grpc-status-details-bin')[0];
    const status = Buffer.isBuffer(details) ? protoStatus(details) : undefined;
    const retryDelay = status?.retryDelayMs;
    const retryable =
      RETRYABLE.has(err.code) || (err.code === grpc.status.RESOURCE_EXHAUSTED && retryDelay !== undefined);
    const name = grpc.status[err.code] ?? String(err.code);
    return new DeliveryError(
      `${this.where}: ${name}: ${quote(err.details || err.message)}`,
      retryable,
      retryDelay,
    );
  }

  close(): void {
    this.client.close();
  }
}

/**
 * The connection error inside grpc-js's "No connection established. Last error: Error [CODE]:
 * text. Resolution note: …", without the error's name; the whole text when it reads otherwise.
 */
function lastError(details: string): string {
  const m = /Last error: (?:\w*Error(?: \[\w+\])?: )?(.*?)\.? Resolution note:/s.exec(details);
  return m ? m[1]! : details;
}
