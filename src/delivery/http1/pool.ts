import { DeliveryError, networkError } from '../errors.js';
import { Connection, type ConnectionOwner } from './connection.js';
import { dial } from './dial.js';
import type { Exchange } from './exchange.js';
import { Tunnel } from './tunnel.js';
import type { TlsFiles } from './types.js';

/**
 * Keep-alive connections to one origin: at most `maxSockets` open at once, the most recently
 * used idle one first (warm and least likely to have timed out), waiting requests in FIFO order.
 * With `tunnelVia`, each connection is a CONNECT tunnel through that proxy (https origins).
 */
export class Pool implements ConnectionOwner {
  private readonly all = new Set<Connection>();
  private readonly idle: Connection[] = [];
  private readonly queue: Exchange[] = [];
  private head = 0;
  private closed = false;
  /** Tunnels being set up: each holds a connection slot. */
  private readonly opening = new Set<Tunnel>();

  constructor(
    private readonly origin: URL,
    private readonly tls: TlsFiles,
    private readonly maxSockets: number,
    private readonly maxResponseBytes: number,
    private readonly tunnelVia?: URL,
  ) {}

  submit(ex: Exchange): void {
    if (this.closed) {
      ex.fail(new DeliveryError(`${ex.where}: the HTTP client is closed`, false));
      return;
    }
    const conn = this.idle.pop();
    if (conn) conn.start(ex);
    else if (this.all.size + this.opening.size < this.maxSockets) this.openFor(ex);
    else this.queue.push(ex);
  }

  released(conn: Connection): void {
    const next = this.dequeue();
    if (next) {
      conn.start(next);
    } else {
      conn.park();
      this.idle.push(conn);
    }
  }

  gone(conn: Connection): void {
    this.all.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    if (this.closed) return;
    // A waiting request takes the freed slot.
    const next = this.dequeue();
    if (next) this.openFor(next);
  }

  /** Destroys every socket; running and waiting requests fail (retryable). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const queued = this.queue.splice(this.head);
    this.queue.length = 0;
    this.head = 0;
    for (const ex of queued) ex.fail(new DeliveryError(`${ex.where}: the HTTP client was closed`, true));
    const reason = new Error('the HTTP client was closed');
    for (const conn of [...this.all]) conn.destroy(reason);
    for (const tunnel of this.opening) tunnel.destroy();
  }

  /** A new connection for `ex`; connect() throwing (rather than emitting an error) fails just `ex`. */
  private openFor(ex: Exchange): void {
    if (this.tunnelVia) {
      this.openTunnelFor(ex, this.tunnelVia);
      return;
    }
    let conn: Connection;
    try {
      conn = new Connection(dial(this.origin, this.tls), this, this.maxResponseBytes);
    } catch (err) {
      ex.fail(networkError(err, ex.where));
      return;
    }
    this.all.add(conn);
    conn.start(ex);
  }

  /**
   * A connection through a CONNECT tunnel, for `ex` or, when `ex` settled meanwhile (its
   * deadline), for the next waiting request. A failed tunnel fails `ex` and frees its slot.
   */
  private openTunnelFor(ex: Exchange, proxy: URL): void {
    const tunnel = new Tunnel(proxy, this.origin, this.tls, ex.timeoutMs);
    this.opening.add(tunnel);
    tunnel.socket.then(
      (socket) => {
        this.opening.delete(tunnel);
        if (this.closed) {
          socket.destroy();
          return;
        }
        const conn = new Connection(socket, this, this.maxResponseBytes);
        this.all.add(conn);
        if (!ex.settled) conn.start(ex);
        else this.released(conn);
      },
      (err: unknown) => {
        this.opening.delete(tunnel);
        const e = err instanceof DeliveryError ? err : networkError(err, 'proxy');
        ex.fail(new DeliveryError(`${ex.where}: ${e.message}`, e.retryable));
        if (this.closed) return;
        const next = this.dequeue();
        if (next) this.openFor(next);
      },
    );
  }

  /** The oldest waiting request not already settled (a timeout settles it in place). */
  private dequeue(): Exchange | undefined {
    const q = this.queue;
    while (this.head < q.length) {
      const ex = q[this.head++]!;
      if (this.head === q.length) {
        q.length = 0;
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= q.length) {
        q.splice(0, this.head);
        this.head = 0;
      }
      if (!ex.settled) return ex;
    }
    return undefined;
  }
}
