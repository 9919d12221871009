import { DeliveryError } from '../errors.js';
import type { Connection } from './connection.js';
import type { HttpResponse } from './types.js';

/**
 * One request from post() to its settlement: what to write, where it runs, and its deadline.
 * It settles once; whatever comes later (a late response, a second error) is ignored.
 */
export class Exchange {
  settled = false;
  /** The connection carrying it, once it has one (a timeout destroys that socket). */
  conn: Connection | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** The head, written as latin1. */
    readonly head: string,
    readonly body: Uint8Array,
    /** `POST <origin><path>`, the prefix of every error message. */
    readonly where: string,
    private readonly resolve: (res: HttpResponse) => void,
    private readonly reject: (err: Error) => void,
    /** The whole exchange's deadline (0: none); a proxy tunnel opened for it gets the same. */
    readonly timeoutMs: number,
  ) {
    // One deadline for the whole exchange: waiting for a socket, connect, upload, response and body.
    if (timeoutMs > 0) this.timer = setTimeout(expire, timeoutMs, this, timeoutMs);
  }

  succeed(res: HttpResponse): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(res);
  }

  fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.reject(err);
  }
}

/** Module-level so no closure is made per request. */
function expire(ex: Exchange, timeoutMs: number): void {
  ex.fail(new DeliveryError(`${ex.where}: no response within ${timeoutMs} ms`, true));
  // The socket is mid-exchange and its state unknown: it cannot carry another request.
  ex.conn?.destroy();
}
