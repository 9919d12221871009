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
 * while it inflates, never held whole. On refusal the rest of the body is read and dropped
 * (discardBody), so the error response reaches a client still sending. The bytes
 * kept are taken from `lease` (the server's budget for all bodies): past it, 503.
 */
export function readBody(req: IncomingMessage, limit: number, lease?: BodyLease): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    discardBody(req, limit);
    return Promise.reject(
      new BodyError(413, `request body of ${declared} bytes exceeds the limit of ${limit}`),
    );
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding !== 'gzip' && encoding !== 'identity') {
    discardBody(req, limit);
    return Promise.reject(new BodyError(400, `unsupported Content-Encoding "${encoding}" (gzip or none)`));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    // With its length declared, a plain body is copied into one buffer as it arrives instead of
    // being joined at the end: a large body is then held once, not twice. The budget is taken
    // for the whole length before the buffer is made.
    const whole = encoding === 'identity' && Number.isFinite(declared) ? declared : undefined;
    let total = 0;
    let wire = 0;
    let settled = false;
    const gunzip: Gunzip | undefined = encoding === 'gzip' ? createGunzip() : undefined;
    const stop = (err: BodyError): void => {
      if (settled) return;
      settled = true;
      req.off('data', onWire);
      req.off('end', onWireEnd);
      discardBody(req, limit);
      if (gunzip) {
        gunzip.removeAllListeners('data');
        gunzip.on('error', () => undefined);
        gunzip.destroy();
      }
      reject(err);
    };
    let buffer: Buffer | undefined;
    if (whole !== undefined) {
      if (lease && !lease.take(whole)) {
        stop(new BodyError(503, 'the server holds as many request bytes as it may at once; retry later'));
        return;
      }
      buffer = Buffer.allocUnsafe(whole);
    }
    const take = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > limit) {
        const what = gunzip ? 'decompressed request body' : 'request body';
        stop(new BodyError(413, `${what} exceeds the limit of ${limit} bytes`));
        return;
      }
      if (buffer) {
        if (total > buffer.length) {
          stop(new BodyError(400, `request body longer than its Content-Length of ${buffer.length} bytes`));
          return;
        }
        chunk.copy(buffer, total - chunk.length);
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
      if (buffer && total !== buffer.length) {
        stop(new BodyError(400, `request body shorter than its Content-Length of ${buffer.length} bytes`));
        return;
      }
      settled = true;
      resolve(buffer ?? Buffer.concat(chunks, total));
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

/**
 * Reads and drops what is left of a refused request's body. A server closing a connection
 * with unread bytes makes the client's TCP stack reset it, and a client still sending may
 * never read the answer; dropping the bytes lets the answer arrive and keeps the connection
 * usable. Past `limit` more bytes the connection is cut: a sender that never stops gets no more.
 */
export function discardBody(req: IncomingMessage, limit: number): void {
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > limit) req.socket.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}
