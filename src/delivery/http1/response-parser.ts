import type { IncomingHttpHeaders } from 'node:http';

/** A response that cannot be read as HTTP/1.x; the connection is unusable after it. */
class HttpParseError extends Error {
  override name = 'HttpParseError';
  constructor(problem: string) {
    super(`invalid HTTP response: ${problem}`);
  }
}

/** A head larger than this is not a response we want to read (node:http allows 16 KiB). */
const MAX_HEAD_BYTES = 64 * 1024;
/** Chunk-size lines (with extensions) and trailer lines. */
const MAX_LINE_BYTES = 16 * 1024;
const EMPTY = Buffer.alloc(0);

const STATUS_LINE = /^HTTP\/1\.(\d) (\d{3})(?: .*)?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEX = /^[0-9a-fA-F]{1,12}$/;
const KEEP_ALIVE_TIMEOUT = /(?:^|[\s,;])timeout\s*=\s*(\d+)/i;

// Parser states.
const HEAD = 0;
const LENGTH = 1;
const CHUNK_SIZE = 2;
const CHUNK_DATA = 3;
const CHUNK_END = 4;
const TRAILERS = 5;
const UNTIL_CLOSE = 6;
const DONE = 7;

/** Repeated headers node:http keeps only once (see IncomingMessage#_addHeaderLine). */
const SINGLE = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

interface ParsedHead {
  readonly text: string;
  readonly status: number;
  readonly minor: number;
  readonly headers: IncomingHttpHeaders;
  readonly keepAliveSeconds: number | undefined;
  readonly length: number;
  readonly transferEncoding: boolean;
  readonly chunked: boolean;
  readonly close: boolean;
  readonly keepAlive: boolean;
}

/**
 * An incremental HTTP/1.x response parser for one exchange at a time: feed it the socket's
 * bytes with push() until it says the response is complete. Interim 1xx responses are
 * skipped; the body is framed by content-length, chunked transfer coding (extensions and
 * trailers are read and dropped) or the connection's close. Only the first `maxBodyBytes`
 * of the body are kept; the rest is read and discarded.
 */
export class ResponseParser {
  status = 0;
  /** The x of HTTP/1.x. */
  minor = 1;
  headers: IncomingHttpHeaders = {};
  /** The server lets the connection carry another request (version and Connection header). */
  keepAlive = false;
  /** The server's `keep-alive: timeout=N` hint, in seconds. */
  keepAliveSeconds: number | undefined;
  /** Bytes arrived after the response's end: the server is not speaking plain HTTP/1.1. */
  extra = false;

  private state = HEAD;
  /** The last final response head read, and what it said. */
  private lastHead: ParsedHead | undefined;
  /** Head bytes of earlier chunks when a head spans several. */
  private pending: Buffer | undefined;
  /** Bytes of the pending head already scanned as complete lines. */
  private scanned = 0;
  /** Bytes left of the content-length body or of the current chunk. */
  private remaining = 0;
  /** A chunk-size or trailer line spanning chunks, and the last line read whole. */
  private partial = '';
  private line = '';
  private chunks: Buffer[] = [];
  private kept = 0;

  constructor(private readonly maxBodyBytes: number) {}

  /** Ready for the next response on the same connection. */
  reset(): void {
    this.status = 0;
    this.minor = 1;
    this.headers = {};
    this.keepAlive = false;
    this.keepAliveSeconds = undefined;
    this.extra = false;
    this.state = HEAD;
    this.pending = undefined;
    this.scanned = 0;
    this.remaining = 0;
    this.partial = '';
    this.chunks = [];
    this.kept = 0;
  }

  /** True once the final response is complete. */
  get complete(): boolean {
    return this.state === DONE;
  }

  /** Nothing of a response has arrived yet (a close now is a "hang up", not a cut response). */
  get idle(): boolean {
    return this.state === HEAD && this.status === 0 && this.pending === undefined;
  }

  /** The kept part of the body. */
  body(): Buffer {
    const c = this.chunks;
    return c.length === 0 ? EMPTY : c.length === 1 ? c[0]! : Buffer.concat(c, this.kept);
  }

  /** Feeds bytes from the socket; true when the final response is complete. Throws HttpParseError. */
  push(data: Buffer): boolean {
    let pos = 0;
    const end = data.length;
    while (pos < end) {
      switch (this.state) {
        case HEAD:
          pos = this.readHead(data, pos);
          break;
        case LENGTH:
        case CHUNK_DATA: {
          const n = Math.min(this.remaining, end - pos);
          this.keep(data, pos, pos + n);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = this.state === LENGTH ? DONE : CHUNK_END;
          break;
        }
        case CHUNK_SIZE:
          pos = this.readLine(data, pos);
          if (pos < 0) return false;
          this.chunkSize(this.line);
          break;
        case CHUNK_END:
          pos = this.readLine(data, pos);
          if (pos < 0) return false;
          if (this.line !== '') throw new HttpParseError('chunk data longer than its size');
          this.state = CHUNK_SIZE;
          break;
        case TRAILERS:
          pos = this.readLine(data, pos);
          if (pos < 0) return false;
          // Trailers carry nothing we use: check their shape, then drop them.
          if (this.line === '') this.state = DONE;
          else if (this.line.indexOf(':') <= 0) {
            throw new HttpParseError(`malformed trailer line ${show(this.line)}`);
          }
          break;
        case UNTIL_CLOSE:
          this.keep(data, pos, end);
          pos = end;
          break;
        default:
          // DONE with bytes left: nothing was asked for them.
          this.extra = true;
          return true;
      }
    }
    return this.state === DONE;
  }

  /** The peer closed the connection: true when that completes the response (read-until-close). */
  end(): boolean {
    if (this.state === UNTIL_CLOSE) this.state = DONE;
    return this.state === DONE;
  }

  /** Retains body bytes up to the limit; beyond it they are only counted as read. */
  private keep(data: Buffer, from: number, to: number): void {
    const room = this.maxBodyBytes - this.kept;
    if (room <= 0 || to === from) return;
    if (to - from > room) to = from + room;
    this.chunks.push(from === 0 && to === data.length ? data : data.subarray(from, to));
    this.kept += to - from;
  }

  /**
   * Scans for the empty line ending the head; returns the position after it, or data.length
   * with the partial head kept for the next push.
   */
  private readHead(data: Buffer, pos: number): number {
    const prior = this.pending;
    const buf = prior ? Buffer.concat([prior, data.subarray(pos)]) : data;
    const start = prior ? 0 : pos;
    let lineStart = start + this.scanned;
    for (;;) {
      const nl = buf.indexOf(10, lineStart);
      if (nl < 0 || nl - start > MAX_HEAD_BYTES) {
        if (buf.length - start > MAX_HEAD_BYTES) {
          throw new HttpParseError(`response head larger than ${MAX_HEAD_BYTES} bytes`);
        }
        // A fragment of the socket's buffer is copied so it does not pin the whole read buffer.
        this.pending = prior ? buf : Buffer.from(buf.subarray(start));
        this.scanned = lineStart - start;
        return data.length;
      }
      const len = nl - lineStart - (nl > lineStart && buf[nl - 1] === 13 ? 1 : 0);
      if (len === 0 && lineStart > start) {
        const text = buf.toString('latin1', start, lineStart);
        this.pending = undefined;
        this.scanned = 0;
        this.parseHead(text);
        // Where the head ended, in `data`'s coordinates.
        return prior ? pos + nl + 1 - prior.length : nl + 1;
      }
      if (len === 0) throw new HttpParseError('empty status line');
      lineStart = nl + 1;
    }
  }

  private parseHead(text: string): void {
    // A server answers alike request after request (a Date header aside): the same head is
    // taken as parsed last time, headers object included (readers do not change it).
    const seen = this.lastHead;
    if (seen !== undefined && seen.text === text) {
      this.status = seen.status;
      this.minor = seen.minor;
      this.headers = seen.headers;
      this.keepAliveSeconds = seen.keepAliveSeconds;
      this.frame(seen.status, seen.length, seen.transferEncoding, seen.chunked, seen.close, seen.keepAlive);
      return;
    }
    const lines = text.split('\n');
    const statusLine = stripCr(lines[0]!);
    const m = STATUS_LINE.exec(statusLine);
    if (!m) throw new HttpParseError(`malformed status line ${show(statusLine)}`);
    const status = Number(m[2]);
    if (status < 100) throw new HttpParseError(`malformed status line ${show(statusLine)}`);
    if (status < 200) {
      // 101 would switch protocols, which we never ask for; other 1xx are interim (100, 103).
      if (status === 101) throw new HttpParseError('unexpected 101 Switching Protocols');
      return;
    }
    this.status = status;
    this.minor = Number(m[1]);

    const headers: IncomingHttpHeaders = {};
    let length = -1;
    let chunked = false;
    let transferEncoding = false;
    let close = false;
    let keepAlive = false;
    // The final line is the empty one after the last header.
    const last = lines.length - 1;
    for (let i = 1; i < last; i++) {
      let line = stripCr(lines[i]!);
      // Obsolete line folding: the value continues on the next line, joined with a space (RFC 9112 §5.2).
      for (let c = lines[i + 1]!.charCodeAt(0); i + 1 < last && (c === 32 || c === 9); ) {
        line += ` ${trimOws(stripCr(lines[++i]!))}`;
        c = lines[i + 1]!.charCodeAt(0);
      }
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon) : '';
      if (!TOKEN.test(name)) throw new HttpParseError(`malformed header line ${show(line)}`);
      const key = name.toLowerCase();
      const value = trimOws(line.slice(colon + 1));
      switch (key) {
        case 'content-length':
          length = contentLength(value, length);
          break;
        case 'transfer-encoding': {
          transferEncoding = true;
          const codings = value.toLowerCase().split(',');
          chunked = trimOws(codings[codings.length - 1]!) === 'chunked';
          break;
        }
        case 'connection':
          for (const t of value.toLowerCase().split(',')) {
            const token = trimOws(t);
            if (token === 'close') close = true;
            else if (token === 'keep-alive') keepAlive = true;
          }
          break;
        case 'keep-alive': {
          const t = KEEP_ALIVE_TIMEOUT.exec(value);
          if (t) this.keepAliveSeconds = Number(t[1]);
          break;
        }
      }
      addHeader(headers, key, value);
    }
    this.headers = headers;
    this.frame(status, length, transferEncoding, chunked, close, keepAlive);
    this.lastHead = {
      text,
      status,
      minor: this.minor,
      headers,
      keepAliveSeconds: this.keepAliveSeconds,
      length,
      transferEncoding,
      chunked,
      close,
      keepAlive,
    };
  }

  /** How the body is framed and whether the connection stays open (RFC 9112 §6.3, §9.3). */
  private frame(
    status: number,
    length: number,
    transferEncoding: boolean,
    chunked: boolean,
    close: boolean,
    keepAlive: boolean,
  ): void {
    this.keepAlive = this.minor >= 1 ? !close : keepAlive && !close;
    if (status === 204 || status === 304) {
      this.state = DONE;
    } else if (transferEncoding) {
      // With both, content-length is ignored and the connection is not to be trusted again.
      if (length >= 0) this.keepAlive = false;
      this.state = chunked ? CHUNK_SIZE : UNTIL_CLOSE;
    } else if (length >= 0) {
      this.remaining = length;
      this.state = length === 0 ? DONE : LENGTH;
    } else {
      this.state = UNTIL_CLOSE;
    }
    if (this.state === UNTIL_CLOSE) this.keepAlive = false;
  }

  /** Reads one line (LF or CRLF) into this.line; -1 when it continues in the next push. */
  private readLine(data: Buffer, pos: number): number {
    const nl = data.indexOf(10, pos);
    if (nl < 0) {
      this.partial += data.toString('latin1', pos);
      if (this.partial.length > MAX_LINE_BYTES) {
        throw new HttpParseError(`chunk-size or trailer line longer than ${MAX_LINE_BYTES} bytes`);
      }
      return -1;
    }
    const line = this.partial + data.toString('latin1', pos, nl);
    this.partial = '';
    this.line = stripCr(line);
    return nl + 1;
  }

  private chunkSize(line: string): void {
    const semi = line.indexOf(';');
    const hex = trimOws(semi < 0 ? line : line.slice(0, semi));
    if (!HEX.test(hex)) throw new HttpParseError(`malformed chunk size line ${show(line)}`);
    const size = Number.parseInt(hex, 16);
    if (size === 0) {
      this.state = TRAILERS;
    } else {
      this.remaining = size;
      this.state = CHUNK_DATA;
    }
  }
}

function stripCr(line: string): string {
  return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}

/** Trims optional whitespace (SP, HTAB) only: obs-text such as U+00A0 belongs to the value. */
function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** A content-length value (or a list of equal ones); a second, different one is an error. */
function contentLength(value: string, previous: number): number {
  let n = -1;
  for (const part of value.split(',')) {
    const v = trimOws(part);
    if (!/^\d{1,15}$/.test(v)) throw new HttpParseError(`invalid content-length ${show(value)}`);
    const m = Number(v);
    if (n >= 0 && m !== n) throw new HttpParseError(`conflicting content-length values ${show(value)}`);
    n = m;
  }
  if (previous >= 0 && n !== previous) {
    throw new HttpParseError(`conflicting content-length headers (${previous} and ${n})`);
  }
  return n;
}

/** Repeated headers the way node:http merges them, so callers see the same shapes. */
function addHeader(headers: IncomingHttpHeaders, key: string, value: string): void {
  if (key === '__proto__') return;
  const prev = headers[key];
  if (prev === undefined) {
    headers[key] = key === 'set-cookie' ? [value] : value;
  } else if (key === 'set-cookie') {
    (prev as string[]).push(value);
  } else if (!SINGLE.has(key)) {
    headers[key] = `${prev as string}${key === 'cookie' ? '; ' : ', '}${value}`;
  }
}

/** A line for an error message: quoted and clipped. */
function show(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}
