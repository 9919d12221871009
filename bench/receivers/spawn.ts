import { type ChildProcess, fork } from 'node:child_process';
import type { SenderMessage, SenderSetup } from './firehose-sender.js';

export interface ReceiverCounts {
  readonly requests: number;
  readonly bytes: number;
  readonly cpuMicros: number;
}

export interface CountingReceiver {
  readonly url: string;
  /** Requests and bytes received so far, and the receiver process's CPU time in microseconds. */
  counts(): Promise<ReceiverCounts>;
  stop(): Promise<void>;
}

/**
 * glibc settings for the receiver, which stands in for a backend that runs for good: memory it
 * frees stays with the process for the next socket reads (Node allocates a new buffer for each
 * one) rather than going back to the kernel, to be faulted in again page by page. On two cores
 * those faults cost about 0.05 µs per record, taken from the process measured.
 */
const RECEIVER_MALLOC = 'glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=536870912';

/** Starts bench/receivers/count-server in a separate process on loopback. */
export async function startCountingReceiver(): Promise<CountingReceiver> {
  const child: ChildProcess = fork(new URL('./count-server.js', import.meta.url), [], {
    stdio: 'inherit',
    env: { ...process.env, GLIBC_TUNABLES: RECEIVER_MALLOC },
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (m: { type?: string; port?: number }) => {
      if (m.type === 'port' && m.port) resolve(m.port);
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () =>
      new Promise((resolve) => {
        const on = (m: { type?: string; requests?: number; bytes?: number; cpuMicros?: number }) => {
          if (m.type !== 'counts') return;
          child.off('message', on);
          resolve({ requests: m.requests ?? 0, bytes: m.bytes ?? 0, cpuMicros: m.cpuMicros ?? 0 });
        };
        child.on('message', on);
        child.send({ type: 'counts' });
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.send({ type: 'stop' });
      }),
  };
}

/** A Firehose sender process (bench/receivers/firehose-sender), its request bodies prepared. */
export interface FirehoseSender {
  readonly requests: number;
  readonly records: number;
  /** Posts every body to `url`; resolves when the last one is answered. */
  send(url: string): Promise<{ latenciesMs: number[]; failed: number; firstError: string }>;
}

export async function startFirehoseSender(setup: Omit<SenderSetup, 'type'>): Promise<FirehoseSender> {
  const child: ChildProcess = fork(new URL('./firehose-sender.js', import.meta.url), [], {
    stdio: 'inherit',
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`the Firehose sender exited (${code}) before it was done`)),
    ),
  );
  exited.catch(() => undefined);
  const next = (): Promise<SenderMessage> =>
    Promise.race([
      new Promise<SenderMessage>((resolve) => child.once('message', (m: SenderMessage) => resolve(m))),
      exited,
    ]);
  child.send({ type: 'setup', ...setup } satisfies SenderSetup);
  const ready = await next();
  if (ready.type !== 'ready') throw new Error(`the Firehose sender answered ${ready.type}`);
  return {
    requests: ready.requests,
    records: ready.records,
    async send(url) {
      const done = next();
      child.send({ type: 'send', url });
      const m = await done;
      if (m.type !== 'done') throw new Error(`the Firehose sender answered ${m.type}`);
      return m;
    },
  };
}
