/**
 * How one delivery attempt failed. The retry loop only looks at `retryable` and `retryAfterMs`;
 * the message quotes the backend so the run summary says what went wrong.
 */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    /** Transient (connection error, timeout, 429/502/503/504, retryable gRPC code). */
    readonly retryable: boolean,
    /** Delay the server asked for (Retry-After, gRPC RetryInfo), in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** HTTP statuses the OTLP spec (and common practice for JSON APIs) treats as transient. */
export const RETRYABLE_HTTP = new Set([429, 502, 503, 504]);

/**
 * Parses a Retry-After header: delay-seconds or an HTTP-date. Returns milliseconds from `now`,
 * or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Certificate and handshake failures that no retry can cure: the certificate is not trusted, names
 * another host, has expired, or the port does not speak TLS at all. OpenSSL's verification codes
 * and Node's own (node:tls, undici and the HTTP/1.1 client report the same ones).
 */
const TLS_PERMANENT = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_UNKNOWN_PROTOCOL',
  'ERR_SSL_HTTP_REQUEST',
  // A handshake that failed while a request was being written reports only this (node:tls).
  'EPROTO',
]);

/** Codes meaning the peer is no TLS server (a plain port), for a message that says so. */
const NOT_TLS = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_UNKNOWN_PROTOCOL',
]);

/** True for a certificate or TLS handshake failure that a retry cannot cure. */
export function isPermanentTlsError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && TLS_PERMANENT.has(code);
}

/**
 * Node's and OpenSSL's wording for the TLS_PERMANENT codes, for clients that pass on only an
 * error's text (grpc-js reports a failed connection as UNAVAILABLE with the last error's message).
 * Most specific first.
 */
const TLS_MESSAGES: ReadonlyArray<readonly [RegExp, string]> = [
  [/self[- ]signed certificate in certificate chain/i, 'SELF_SIGNED_CERT_IN_CHAIN'],
  [/self[- ]signed certificate/i, 'DEPTH_ZERO_SELF_SIGNED_CERT'],
  [/unable to verify the first certificate/i, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  [/unable to get local issuer certificate/i, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
  [/unable to get issuer certificate/i, 'UNABLE_TO_GET_ISSUER_CERT'],
  [/certificate has expired/i, 'CERT_HAS_EXPIRED'],
  [/certificate is not yet valid/i, 'CERT_NOT_YET_VALID'],
  [/certificate revoked/i, 'CERT_REVOKED'],
  [/ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames/i, 'ERR_TLS_CERT_ALTNAME_INVALID'],
  [/SSL routines\b.*\bwrong version number/i, 'ERR_SSL_WRONG_VERSION_NUMBER'],
  [/SSL routines\b.*\bpacket length too long/i, 'ERR_SSL_PACKET_LENGTH_TOO_LONG'],
  [/SSL routines\b.*\bunknown protocol/i, 'ERR_SSL_UNKNOWN_PROTOCOL'],
  [/SSL routines\b.*\bhttp request/i, 'ERR_SSL_HTTP_REQUEST'],
];

/**
 * A certificate or TLS handshake failure recognised from an error's message alone, as a
 * permanent DeliveryError worded as networkError words it; undefined for anything else.
 */
export function tlsFailureFromMessage(message: string, where: string): DeliveryError | undefined {
  const found = TLS_MESSAGES.find(([pattern]) => pattern.test(message));
  return found ? tlsFailure(found[1], message, where) : undefined;
}

function tlsFailure(code: string, msg: string, where: string): DeliveryError {
  const what = NOT_TLS.has(code)
    ? 'the server does not speak TLS on this port (is it a plain http:// endpoint?)'
    : code === 'EPROTO'
      ? `TLS handshake failed (does the server speak TLS on this port?): ${msg}`
      : `TLS certificate rejected: ${msg}`;
  return new DeliveryError(`${where}: ${code}: ${what}`, false);
}

/**
 * A connection-level failure as a DeliveryError. Resets, refusals, DNS hiccups and timeouts are
 * transient; certificate and TLS handshake failures are permanent (retrying an untrusted or
 * misnamed certificate only delays the same answer) and say what is wrong.
 */
export function networkError(err: unknown, where: string): DeliveryError {
  const e = err as NodeJS.ErrnoException;
  const msg = e instanceof Error ? e.message : String(err);
  if (isPermanentTlsError(err)) return tlsFailure(e.code!, msg, where);
  const code = e?.code ? `${e.code}: ` : '';
  return new DeliveryError(
    `${where}: ${code === '' || msg.startsWith(e.code ?? '') ? '' : code}${msg}`,
    true,
  );
}

/** Shortens a backend's message for a one-line report. */
export function quote(text: string, max = 300): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}
