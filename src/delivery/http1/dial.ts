import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TlsFiles } from './types.js';

/** Opens a TCP (http:) or TLS (https:) socket to the URL's origin; writes before it connects are queued. */
export function dial(url: URL, tls: TlsFiles): Socket {
  // URL.hostname keeps an IPv6 literal's brackets; connect() wants the bare address.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const secure = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  const socket = secure
    ? tlsConnect({
        host,
        port,
        // SNI takes host names only (RFC 6066); the certificate is still checked against the IP.
        ...(isIP(host) ? {} : { servername: host }),
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {}),
        ALPNProtocols: ['http/1.1'],
      })
    : tcpConnect({ host, port });
  // The head and body leave in one writev; Nagle would only delay a short tail.
  socket.setNoDelay(true);
  // Notices a peer that vanished while the socket sits idle in the pool (as http.Agent does).
  socket.setKeepAlive(true, 1000);
  return socket;
}
