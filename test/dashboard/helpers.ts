import { createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { resolveOptions } from '../../src/config/options.js';
import { createDashboardApp, type DashboardOptions } from '../../src/dashboard/app.js';
import { toNodeHandler } from '../../src/dashboard/node-handler.js';
import { INGEST_OPTIONS } from '../../src/pipeline/build.js';
import { runOnce } from '../../src/pipeline/once.js';
import { fileInput } from '../../src/sources/files.js';

export async function ingest(db: string, files: string[]): Promise<void> {
  const options = resolveOptions(INGEST_OPTIONS(), { flags: { db }, env: {} });
  const report = await runOnce(files.map(fileInput), options, { env: {}, log: () => undefined });
  if (!report.ok) throw new Error(`ingest of ${files.join(', ')} failed`);
}

/** What the generated text file itself says, counted here without flowlens's decoder or store. */
export interface FileTruth {
  readonly records: number;
  readonly bytesBySource: Map<string, number>;
  readonly recordsBySource: Map<string, number>;
  readonly rejectedBytes: number;
}

export async function fileTruth(path: string): Promise<FileTruth> {
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()) });
  let header: string[] | undefined;
  let records = 0;
  let rejectedBytes = 0;
  const bytesBySource = new Map<string, number>();
  const recordsBySource = new Map<string, number>();
  for await (const line of lines) {
    const f = line.split(' ');
    if (!header) {
      header = f;
      continue;
    }
    records++;
    const get = (name: string) => f[header!.indexOf(name)]!;
    if (get('log-status') !== 'OK') continue;
    const src = get('srcaddr');
    const bytes = Number(get('bytes'));
    bytesBySource.set(src, (bytesBySource.get(src) ?? 0) + bytes);
    recordsBySource.set(src, (recordsBySource.get(src) ?? 0) + 1);
    if (get('action') === 'REJECT') rejectedBytes += bytes;
  }
  return { records, bytesBySource, recordsBySource, rejectedBytes };
}

export interface Running {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** The dashboard on a real loopback port (port 0). */
export async function serveDashboard(options: DashboardOptions, host = '127.0.0.1'): Promise<Running> {
  const app = await createDashboardApp(options);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const handler = toNodeHandler(app, url);
  server.on('request', (req, res) => {
    void handler(req, res);
  });
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
