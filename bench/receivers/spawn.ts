import { type ChildProcess, fork } from 'node:child_process';

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

/** Starts bench/receivers/count-server in a separate process on loopback. */
export async function startCountingReceiver(): Promise<CountingReceiver> {
  const child: ChildProcess = fork(new URL('./count-server.js', import.meta.url), [], { stdio: 'inherit' });
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
