import { type Socket, connect as tcpConnect } from 'node:net';
import { DeliveryError, networkError } from '../errors.js';
import { proxyAuthorization } from '../proxy.js';
import { dial } from './dial.js';
import type { TlsFiles } from './types.js';

/** A CONNECT answer's head larger than this is not one we read. */
const MAX_HEAD_BYTES = 16 * 1024;

/** Proxy answers to CONNECT that a retry will not change (authentication, policy, bad request). */
const PERMANENT_STATUS = new Set([400, 401, 403, 405, 407]);

/**
 * A TLS connection to an https origin through an HTTP proxy: CONNECT host:port, then the TLS
 * handshake inside the tunnel. Settles once: with the TLS socket (writes before its handshake
 * are queued, as with a direct connection), or with a DeliveryError that names the proxy.
 */
export class Tunnel {
  readonly socket: Promise<Socket>;
  private raw: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(proxy: URL, target: URL, tls: TlsFiles, timeoutMs: number) {
    this.socket = new Promise<Socket>((resolve, reject) => {
      // The request's own message names the proxy ("… (via proxy http://p:3128)").
      const label = 'proxy';
      const port = target.port || '443';
      const authority = `${target.hostname}:${port}`;
      const raw = tcpConnect({
        host: proxy.hostname.startsWith('[') ? proxy.hostname.slice(1, -1) : proxy.hostname,
        port: Number(proxy.port || 80),
      });
      this.raw = raw;
      let head = Buffer.alloc(0);
      const fail = (err: DeliveryError): void => {
        clearTimeout(this.timer);
        raw.destroy();
        reject(err);
      };
      if (timeoutMs > 0) {
        this.timer = setTimeout(
          () =>
            fail(
              new DeliveryError(`${label}: no answer to CONNECT ${authority} within ${timeoutMs} ms`, true),
            ),
          timeoutMs,
        );
      }
      const auth = proxyAuthorization(proxy);
      raw.write(
        `CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n` +
          (auth ? `proxy-authorization: ${auth}\r\n` : '') +
          '\r\n',
        'latin1',
      );
      const onData = (data: Buffer): void => {
        head = Buffer.concat([head, data]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > MAX_HEAD_BYTES)
            fail(new DeliveryError(`${label}: CONNECT answer head too large`, true));
          return;
        }
        raw.off('data', onData);
        raw.off('error', onError);
        raw.off('close', onClose);
        const statusLine = head.toString('latin1', 0, head.indexOf('\r\n'));
        const m = /^HTTP\/1\.[01] (\d{3})\b ?(.*)$/.exec(statusLine);
        if (!m) {
          fail(
            new DeliveryError(
              `${label}: not an HTTP answer to CONNECT: ${JSON.stringify(statusLine.slice(0, 80))}`,
              true,
            ),
          );
          return;
        }
        const status = Number(m[1]);
        if (status < 200 || status > 299) {
          const hint =
            status === 407 ? ' (give credentials in the proxy URL: http://user:password@host:port)' : '';
          fail(
            new DeliveryError(
              `${label}: CONNECT ${authority} answered ${status} ${m[2] ?? ''}`.trimEnd() + hint,
              !PERMANENT_STATUS.has(status),
            ),
          );
          return;
        }
        clearTimeout(this.timer);
        // A tunnel carries nothing before our ClientHello; anything read past the head is the peer's.
        const rest = head.subarray(end + 4);
        if (rest.length > 0) raw.unshift(rest);
        resolve(dial(target, tls, raw));
      };
      const onError = (err: Error): void => fail(networkError(err, label));
      const onClose = (): void =>
        fail(new DeliveryError(`${label}: connection closed before answering CONNECT ${authority}`, true));
      raw.on('data', onData);
      raw.on('error', onError);
      raw.on('close', onClose);
    });
  }

  /** Abandons a tunnel still being set up (the pool is closing). */
  destroy(): void {
    clearTimeout(this.timer);
    this.raw?.destroy();
  }
}
