/**
 * A minimal OTLP/HTTP endpoint for benchmarks, run in its own process: reads each request,
 * counts requests and body bytes, answers 200 with an empty ExportLogsServiceResponse. It tells
 * the parent its port, and its counts (and the CPU time it has used) when asked
 * (`{ type: 'counts' }`).
 *
 * It shares the machine's cores with the process it measures, so it does as little as an HTTP/1.1
 * server can: it reads the request head, then skips the body by its Content-Length (or its
 * chunks), with no per-request stream objects. `BENCH_RECEIVER=node-http` runs Node's own HTTP
 * server instead, to compare.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

let requests = 0;
let bytes = 0;

const response = (json: boolean): Buffer => {
  const body = json ? '{}' : '';
  return Buffer.from(
    `HTTP/1.1 200 OK\r\ncontent-type: ${json ? 'application/json' : 'application/x-protobuf'}\r\n` +
      `content-length: ${body.length}\r\nkeep-alive: timeout=60\r\n\r\n${body}`,
  );
};
const PROTOBUF_OK = response(false);
const JSON_OK = response(true);
const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
/** A request head or chunk-size line longer than this is not HTTP/1.1 as any exporter sends it. */
const MAX_HEAD = 64 * 1024;

/** One connection: a request head, then its body by length or by chunks, then the next request. */
class Connection {
  private pending: Buffer = Buffer.alloc(0);
  private state: 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'trailer' = 'head';
  private remaining = 0;
  private json = false;

  constructor(private readonly socket: net.Socket) {}

  read(chunk: Buffer): void {
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    let at = 0;
    while (at < buf.length) {
      if (this.state === 'body' || this.state === 'chunk-data') {
        const n = Math.min(this.remaining, buf.length - at);
        bytes += n;
        this.remaining -= n;
        at += n;
        if (this.remaining > 0) return;
        if (this.state === 'body') this.done();
        else {
          // the CRLF after a chunk's data is read with the next size line
          this.state = 'chunk-size';
        }
        continue;
      }
      const end = buf.indexOf(this.state === 'head' ? HEAD_END : CRLF, at);
      if (end < 0) {
        if (buf.length - at > MAX_HEAD) this.socket.destroy();
        else this.pending = Buffer.from(buf.subarray(at));
        return;
      }
      const text = buf.toString('latin1', at, end);
      if (this.state === 'head') {
        at = end + 4;
        this.request(text);
      } else if (this.state === 'chunk-size') {
        at = end + 2;
        if (text === '') continue; // the CRLF that ends a chunk's data
        const size = Number.parseInt(text, 16);
        if (Number.isNaN(size)) {
          this.socket.destroy();
          return;
        }
        if (size === 0) this.state = 'trailer';
        else {
          this.remaining = size;
          this.state = 'chunk-data';
        }
      } else {
        // after the last chunk: trailer lines, then an empty one
        at = end + 2;
        if (text === '') this.done();
      }
    }
  }

  private request(head: string): void {
    const lower = head.toLowerCase();
    // JSON and NDJSON (Elasticsearch _bulk) requests get a JSON answer: `{}`, no errors
    this.json = /\r\ncontent-type:[^\r]*json/.test(lower);
    const length = /\r\ncontent-length:\s*(\d+)/.exec(lower);
    if (/\r\ntransfer-encoding:[^\r]*chunked/.test(lower)) this.state = 'chunk-size';
    else if (length && Number(length[1]) > 0) {
      this.remaining = Number(length[1]);
      this.state = 'body';
    } else this.done();
  }

  private done(): void {
    requests++;
    this.state = 'head';
    this.socket.write(this.json ? JSON_OK : PROTOBUF_OK);
  }
}

/** Open connections: closed on `stop`, as a client's idle keep-alive sockets would hold the server open. */
const sockets = new Set<net.Socket>();

function minimalServer(): net.Server {
  return net.createServer((socket) => {
    const connection = new Connection(socket);
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => connection.read(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
}

function nodeHttpServer(): http.Server {
  const server = http.createServer((req, res) => {
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    req.on('end', () => {
      requests++;
      const json = String(req.headers['content-type']).includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  server.keepAliveTimeout = 60_000;
  return server;
}

const server = process.env.BENCH_RECEIVER === 'node-http' ? nodeHttpServer() : minimalServer();

server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'port', port: (server.address() as AddressInfo).port });
});

process.on('message', (m: { type?: string }) => {
  if (m.type === 'counts') {
    const cpu = process.cpuUsage();
    process.send?.({ type: 'counts', requests, bytes, cpuMicros: cpu.user + cpu.system });
  }
  if (m.type === 'stop') {
    server.close(() => process.exit(0));
    for (const socket of sockets) socket.destroy();
  }
});
process.on('disconnect', () => process.exit(0));
