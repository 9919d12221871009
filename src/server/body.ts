import type { IncomingMessage } from 'node:http';
import { createGunzip, type Gunzip } from 'node:zlib';
import type { BodyLease } from './budget.js';

/** A request body problem, with the HTTP status it answers with. */
export class BodyError extends Error {
  override name = 'BodyError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads a request body, gunzipping `Content-Encoding: gzip`, and refuses (413) once either the
 * bytes on the wire or the decompressed bytes exceed `limit` — a compressed bomb is stopped
 * while it inflates, never held whole. On refusal the request is left paused, not destroyed,
 * so the error response still reaches the client (sent with `Connection: close`). The bytes
 * kept are taken from `lease` (the server's budget for all bodies): past it, 503.
 */
export function readBody(req: IncomingMessage, limit: number, lease?: BodyLease): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(
      new BodyError(413, `request body of ${declared} bytes exceeds the limit of ${limit}`),
    );
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding !== 'gzip' && encoding !== 'identity') {
    return Promise.reject(new BodyError(400, `unsupported Content-Encoding "${encoding}" (gzip or none)`));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let wire = 0;
    let settled = false;
    const gunzip: Gunzip | undefined = encoding === 'gzip' ? createGunzip() : undefined;
    const stop = (err: BodyError): void => {
      if (settled) return;
      settled = true;
      req.off('data', onWire);
      req.off('end', onWireEnd);
      req.pause();
      if (gunzip) {
        gunzip.removeAllListeners('data');
        gunzip.on('error', () => undefined);
        gunzip.destroy();
      }
      reject(err);
    };
    const take = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > limit) {
        const what = gunzip ? 'decompressed request body' : 'request body';
        stop(new BodyError(413, `${what} exceeds the limit of ${limit} bytes`));
        return;
      }
      if (lease && !lease.take(chunk.length)) {
        stop(new BodyError(503, 'the server holds as many request bytes as it may at once; retry later'));
        return;
      }
      chunks.push(chunk);
    };
    const finish = (): void => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, total));
    };
    function onWire(chunk: Buffer): void {
      wire += chunk.length;
      if (wire > limit) {
        stop(new BodyError(413, `request body exceeds the limit of ${limit} bytes`));
        return;
      }
      if (gunzip) gunzip.write(chunk);
      else take(chunk);
    }
    function onWireEnd(): void {
      if (gunzip) gunzip.end();
      else finish();
    }
    if (gunzip) {
      gunzip.on('data', take);
      gunzip.on('end', finish);
      gunzip.on('error', (err) =>
        stop(new BodyError(400, `gzip body cannot be decompressed: ${err.message}`)),
      );
    }
    req.on('data', onWire);
    req.on('end', onWireEnd);
    req.on('error', (err) => stop(new BodyError(400, `request body: ${err.message}`)));
  });
}
