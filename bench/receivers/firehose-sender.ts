/**
 * The Firehose side of the serve scenarios, in a process of its own as a delivery stream is on
 * a machine of its own: the server measured keeps its event loop. Reads the data set, cuts it
 * into request bodies, then on `send` posts them over `senders` keep-alive connections back to
 * back and reports every request's latency.
 */
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { gunzipSync } from 'node:zlib';

export interface SenderSetup {
  readonly type: 'setup';
  readonly path: string;
  readonly limit: number;
  readonly perRequest: number;
  readonly senders: number;
  readonly accessKey: string;
}

export type SenderMessage =
  | { readonly type: 'ready'; readonly requests: number; readonly records: number }
  | {
      readonly type: 'done';
      readonly latenciesMs: number[];
      readonly failed: number;
      readonly firstError: string;
    };

/** The data set's record lines as Firehose request bodies (ids filled in at send time). */
async function requestBodies(
  path: string,
  limit: number,
  perRequest: number,
): Promise<{ bodies: string[]; records: number }> {
  const text = gunzipSync(await readFile(path)).toString('utf8');
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('version'));
  const count = Math.min(lines.length, limit);
  const bodies: string[] = [];
  for (let i = 0; i < count; i += perRequest) {
    const records = lines
      .slice(i, Math.min(i + perRequest, count))
      .map((l) => `{"data":"${Buffer.from(l).toString('base64')}"}`)
      .join(',');
    bodies.push(`","timestamp":1,"records":[${records}]}`);
  }
  return { bodies, records: count };
}

function post(url: URL, agent: Agent, accessKey: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'X-Amz-Firehose-Access-Key': accessKey,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const setup = await new Promise<SenderSetup>((resolve) =>
    process.once('message', (m: SenderSetup) => resolve(m)),
  );
  const { bodies, records } = await requestBodies(setup.path, setup.limit, setup.perRequest);
  process.send?.({ type: 'ready', requests: bodies.length, records } satisfies SenderMessage);
  const url = await new Promise<URL>((resolve) =>
    process.once('message', (m: { type: string; url: string }) => resolve(new URL(m.url))),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: setup.senders });
  const latenciesMs: number[] = [];
  let failed = 0;
  let firstError = '';
  let next = 0;
  const sender = async (): Promise<void> => {
    for (let i = next++; i < bodies.length; i = next++) {
      const started = performance.now();
      const status = await post(url, agent, setup.accessKey, `{"requestId":"bench-${i}${bodies[i]!}`).catch(
        (err: unknown) => {
          firstError ||= String(err);
          return 0;
        },
      );
      latenciesMs.push(performance.now() - started);
      if (status !== 200) {
        failed++;
        firstError ||= `HTTP ${status}`;
      }
    }
  };
  await Promise.all(Array.from({ length: setup.senders }, sender));
  agent.destroy();
  process.send?.({ type: 'done', latenciesMs, failed, firstError } satisfies SenderMessage, () =>
    process.exit(0),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`firehose-sender: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
