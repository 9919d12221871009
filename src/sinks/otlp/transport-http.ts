import { promisify } from 'node:util';
import { gzip as gzipCb, type ZlibOptions } from 'node:zlib';
import { HttpClient, httpFailure } from '../../delivery/http.js';
import type { Outcome } from '../../delivery/queue.js';
import { GZIP_LEVEL, type OtlpConfig } from './config.js';
import { errorMessage, jsonPartialSuccess, protoPartialSuccess } from './response.js';
import type { OtlpTransport } from './transport.js';

const gzip = promisify<Uint8Array, ZlibOptions, Buffer>(gzipCb);
const USER_AGENT = 'flowlens-otlp-exporter/0.1';

/** OTLP/HTTP (protobuf or JSON) over keep-alive connections. */
export class HttpTransport implements OtlpTransport {
  private readonly client: HttpClient;
  private readonly json: boolean;
  private readonly where: string;
  private readonly zlib: ZlibOptions;

  constructor(
    private readonly config: OtlpConfig,
    maxInFlight: number,
  ) {
    this.json = config.protocol === 'http/json';
    this.where = `OTLP ${config.url.origin}${config.url.pathname}`;
    this.zlib = { level: config.gzipLevel ?? GZIP_LEVEL };
    this.client = new HttpClient(
      config.url,
      {
        'user-agent': USER_AGENT,
        ...config.headers,
        'content-type': this.json ? 'application/json' : 'application/x-protobuf',
        ...(config.gzip ? { 'content-encoding': 'gzip' } : {}),
      },
      config.timeoutMs,
      maxInFlight,
      config.tls,
      undefined,
      config.proxies,
    );
  }

  /** Compresses (when asked) before the body leaves the encoder's reused buffer. */
  async prepare(body: Uint8Array): Promise<Uint8Array> {
    return this.config.gzip ? await gzip(body, this.zlib) : body;
  }

  async send(body: Uint8Array, records: number): Promise<Outcome> {
    const res = await this.client.post(body);
    if (res.status >= 200 && res.status < 300) {
      const partial = this.json ? jsonPartialSuccess(res.body) : protoPartialSuccess(res.body);
      if (!partial) return { delivered: records, rejected: 0 };
      const rejected = Math.min(records, partial.rejected);
      return {
        delivered: records - rejected,
        rejected,
        ...(partial.message ? { message: partial.message } : {}),
      };
    }
    throw httpFailure(res, this.where, (r) => errorMessage(r.body, r.headers['content-type']));
  }

  close(): void {
    this.client.close();
  }
}
