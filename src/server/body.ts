import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

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
 * while it inflates, never held whole.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    throw new BodyError(413, `request body of ${declared} bytes exceeds the limit of ${limit}`);
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding !== 'gzip' && encoding !== 'identity') {
    throw new BodyError(400, `unsupported Content-Encoding "${encoding}" (gzip or none)`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const take = (chunk: Buffer, what: string): void => {
    total += chunk.length;
    if (total > limit) throw new BodyError(413, `${what} exceeds the limit of ${limit} bytes`);
    chunks.push(chunk);
  };
  if (encoding === 'identity') {
    for await (const chunk of req) take(chunk as Buffer, 'request body');
    return Buffer.concat(chunks, total);
  }
  let wire = 0;
  const gunzip = createGunzip();
  req.on('data', (c: Buffer) => {
    wire += c.length;
    if (wire > limit) gunzip.destroy(new BodyError(413, `request body exceeds the limit of ${limit} bytes`));
  });
  req.pipe(gunzip);
  try {
    for await (const chunk of gunzip) take(chunk as Buffer, 'decompressed request body');
  } catch (err) {
    req.unpipe(gunzip);
    gunzip.destroy();
    if (err instanceof BodyError) throw err;
    throw new BodyError(400, `gzip body cannot be decompressed: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks, total);
}
