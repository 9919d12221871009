import type { IncomingHttpHeaders } from 'node:http';

/** TLS material for https endpoints (PEM contents, not paths). */
export interface TlsFiles {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface HttpResponse {
  readonly status: number;
  /** Lower-case names; repeated headers joined or listed the way node:http does. */
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}
