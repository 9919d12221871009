import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TlsFiles } from './types.js';

/**
 * Opens a TCP (http:) or TLS (https:) socket to the URL's origin; writes before it connects are
 * queued. With `through` (a proxy tunnel already open to that origin), TLS runs inside it.
 */
export function dial(url: URL, tls: TlsFiles, through?: Socket): Socket {
  // URL.hostname keeps an IPv6 literal's brackets; connect() wants the bare address.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const secure = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  const socket = secure
    ? tlsConnect({
        ...(through ? { socket: through } : { host, port }),
        // The certificate is checked against this name (an IP literal: against its IP entries).
        host,
        // SNI takes host names only (RFC 6066).
        ...(isIP(host) ? {} : { servername: host }),
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {}),
        ALPNProtocols: ['http/1.1'],
      })
    : (through ?? tcpConnect({ host, port }));
  const tcp = through ?? socket;
  // The head and body leave in one writev; Nagle would only delay a short tail.
  tcp.setNoDelay(true);
  // Notices a peer that vanished while the socket sits idle in the pool (as http.Agent does).
  tcp.setKeepAlive(true, 1000);
  return socket;
}
