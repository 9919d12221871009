/**
 * A minimal OTLP/HTTP endpoint for benchmarks, run in its own process: reads each request,
 * counts requests and bytes, answers 200 with an empty ExportLogsServiceResponse. It tells the
 * parent its port, and its counts (and the CPU time it has used) when asked (`{ type: 'counts' }`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

let requests = 0;
let bytes = 0;

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

server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'port', port: (server.address() as AddressInfo).port });
});

process.on('message', (m: { type?: string }) => {
  if (m.type === 'counts') {
    const cpu = process.cpuUsage();
    process.send?.({ type: 'counts', requests, bytes, cpuMicros: cpu.user + cpu.system });
  }
  if (m.type === 'stop') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
