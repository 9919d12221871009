import type { Socket } from 'node:net';
import { networkError } from '../errors.js';
import type { Exchange } from './exchange.js';
import { ResponseParser } from './response-parser.js';

/** What a connection tells its pool. */
export interface ConnectionOwner {
  /** The exchange ended cleanly and the socket can carry another request. */
  released(conn: Connection): void;
  /** The socket is gone (closed, failed or destroyed); called once. */
  gone(conn: Connection): void;
}

/** Idle time before we close a kept-alive socket when the server gives no `keep-alive: timeout`. */
const DEFAULT_IDLE_MS = 30_000;

/**
 * One socket carrying one exchange at a time. Socket listeners are attached once and dispatch
 * to the current exchange, so a request costs no listener churn.
 */
export class Connection {
  private exchange: Exchange | undefined;
  private readonly parser: ResponseParser;
  private dead = false;
  private idleSince = 0;
  private idleMs = DEFAULT_IDLE_MS;
  private idleTimer: NodeJS.Timeout | undefined;
  private idleDue = 0;

  constructor(
    private readonly socket: Socket,
    private readonly owner: ConnectionOwner,
    maxResponseBytes: number,
  ) {
    this.parser = new ResponseParser(maxResponseBytes);
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('end', () => this.onEnd());
    socket.on('error', (err) => this.drop(err));
    socket.on('close', () => this.drop(undefined));
  }

  /** Writes the request; the response arrives through the socket's listeners. */
  start(ex: Exchange): void {
    const s = this.socket;
    if (this.dead || s.destroyed) {
      ex.fail(networkError(hangUp('socket was closed before the request'), ex.where));
      return;
    }
    this.exchange = ex;
    ex.conn = this;
    s.ref();
    // Corked, head and body leave in one writev; the body is not copied.
    s.cork();
    s.write(ex.head, 'latin1');
    if (ex.body.byteLength > 0) s.write(ex.body);
    s.uncork();
  }

  /** Parks the socket in the pool: it must not keep the process alive, and closes when idle too long. */
  park(): void {
    this.socket.unref();
    const now = performance.now();
    this.idleSince = now;
    const due = now + this.idleMs;
    // One timer per connection, re-armed lazily: busy sockets do not touch it per request.
    if (this.idleTimer === undefined || due < this.idleDue) {
      clearTimeout(this.idleTimer);
      this.idleDue = due;
      this.idleTimer = setTimeout(this.onIdleTimer, this.idleMs).unref();
    }
  }

  /** Ends the socket now; a running exchange fails with `reason` (or as a closed connection). */
  destroy(reason?: Error): void {
    this.drop(reason);
  }

  private readonly onIdleTimer = (): void => {
    this.idleTimer = undefined;
    if (this.dead || this.exchange) return;
    const left = this.idleSince + this.idleMs - performance.now();
    if (left <= 1) {
      this.drop(undefined);
    } else {
      this.idleDue = this.idleSince + this.idleMs;
      this.idleTimer = setTimeout(this.onIdleTimer, left).unref();
    }
  };

  private onData(data: Buffer): void {
    const ex = this.exchange;
    if (ex === undefined) {
      // Bytes nobody asked for on an idle socket: it cannot be trusted with another request.
      this.drop(undefined);
      return;
    }
    try {
      if (!this.parser.push(data)) return;
    } catch (err) {
      this.drop(err as Error);
      return;
    }
    this.finish(ex);
  }

  private onEnd(): void {
    const ex = this.exchange;
    // A response without length or chunks ends with the connection.
    if (ex && this.parser.end()) this.finish(ex);
    else this.drop(undefined);
  }

  private finish(ex: Exchange): void {
    const p = this.parser;
    // Reusable only when the server agrees, framing told where the body ended, nothing extra
    // came, and our whole request left (an early answer, e.g. 413, leaves the rest unsent).
    const reusable = p.keepAlive && !p.extra && this.socket.writableLength === 0;
    const hint = p.keepAliveSeconds;
    const res = { status: p.status, headers: p.headers, body: p.body() };
    p.reset();
    this.exchange = undefined;
    ex.conn = undefined;
    ex.succeed(res);
    if (this.dead) return;
    // The server closes after its timeout; give up on the socket a second before it does.
    this.idleMs = hint === undefined ? DEFAULT_IDLE_MS : hint * 1000 - 1000;
    if (reusable && this.idleMs > 0) this.owner.released(this);
    else this.drop(undefined);
  }

  private drop(err: Error | undefined): void {
    if (this.dead) return;
    this.dead = true;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.socket.destroy();
    const ex = this.exchange;
    if (ex) {
      this.exchange = undefined;
      ex.conn = undefined;
      const cause =
        err ??
        hangUp(
          this.parser.idle
            ? 'socket hang up: connection closed before a response'
            : 'connection closed before the end of the response',
        );
      ex.fail(networkError(cause, ex.where));
    }
    this.owner.gone(this);
  }
}

/** A close the peer did not explain, labelled like node:http's "socket hang up". */
function hangUp(message: string): Error {
  return Object.assign(new Error(message), { code: 'ECONNRESET' });
}
