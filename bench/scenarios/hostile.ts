import { spawn } from 'node:child_process';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipBomb } from '../gzip-bomb.js';
import { hostileRequests, sendHostile } from '../hostile-requests.js';
import { repoRoot } from '../repo-root.js';
import { startServeProcess } from '../serve-process.js';
import { round } from './baseline.js';
import type { Scenario, ScenarioResult } from './types.js';

/** serve's default --max-body: the hostile requests are sized against it. */
const MAX_BODY = 64 * 1024 * 1024;

/**
 * Sends /healthz one after another until `done` settles; returns the slowest answer (ms). Every
 * answer must be 200.
 */
async function pollHealthz(url: string, done: Promise<unknown>): Promise<{ worstMs: number; polls: number }> {
  let finished = false;
  void done.then(
    () => {
      finished = true;
    },
    () => {
      finished = true;
    },
  );
  let worstMs = 0;
  let polls = 0;
  do {
    const started = performance.now();
    const res = await fetch(`${url}/healthz`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
    worstMs = Math.max(worstMs, performance.now() - started);
    polls++;
  } while (!finished);
  return { worstMs, polls };
}

/**
 * `flowlens serve` (its own process, default limits) sent each hostile request of
 * bench/hostile-requests.ts in turn while /healthz is asked again and again: the slowest
 * /healthz answer per request, and the service's peak RSS over all of them.
 */
export const serveHostile: Scenario = {
  name: 'serve-hostile',
  description:
    'serve sent each hostile request (newlines, 4,000 fields, bombs, huge bodies…): worst /healthz',
  targets: { maxHealthzMs: 1000, maxRssMb: 400 },
  async run(): Promise<ScenarioResult> {
    const requests = hostileRequests(MAX_BODY);
    const serve = await startServeProcess(['--to', 'null', '--no-alerts']);
    try {
      const extra: Record<string, number> = {};
      let worst = 0;
      const started = performance.now();
      for (const h of requests) {
        const answer = sendHostile(serve.url, h);
        const health = await pollHealthz(serve.url, answer);
        const { status } = await answer;
        if (status !== h.status) throw new Error(`${h.name}: answered ${status}, expected ${h.status}`);
        extra[`${h.name}Ms`] = round(health.worstMs, 1);
        worst = Math.max(worst, health.worstMs);
      }
      const seconds = (performance.now() - started) / 1000;
      // records: the hostile requests sent, each answered as it must be
      return {
        records: requests.length,
        seconds,
        peakRssMb: serve.peakRssMb(),
        extra: { worstHealthzMs: round(worst, 1), ...extra },
      };
    } finally {
      await serve.stop();
    }
  },
};

/** Runs `flowlens parse <file> --quiet` under GNU time: exit code, stderr and peak RSS (MB). */
async function parseUnderTime(file: string): Promise<{ code: number; stderr: string; peakRssMb: number }> {
  const child = spawn(
    '/usr/bin/time',
    ['-f', 'maxrss=%M', process.execPath, join(repoRoot(), 'bin/flowlens.js'), 'parse', file, '--quiet'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
  const rss = /maxrss=(\d+)/.exec(stderr);
  return { code, stderr, peakRssMb: rss ? Number(rss[1]) / 1024 : Number.NaN };
}

/** A Firehose request body of about `mib` MiB: records of 500 flow-log lines each. */
function firehoseBody(id: string, mib: number): { body: Buffer; records: number } {
  const lines = Array.from(
    { length: 500 },
    (_, i) =>
      `2 123456789012 eni-0a1b2c3d 10.0.${i >> 8}.${i & 255} 10.1.0.2 ${1024 + i} 443 6 10 8400 1780272000 1780272060 ACCEPT OK`,
  ).join('\n');
  const data = Buffer.from(`${lines}\n`).toString('base64');
  const count = Math.ceil((mib * 1024 * 1024) / (data.length + 12));
  const records = Array.from({ length: count }, () => `{"data":"${data}"}`).join(',');
  return {
    body: Buffer.from(`{"requestId":"${id}","timestamp":1,"records":[${records}]}`),
    records: count * 500,
  };
}

/**
 * Inputs built to exhaust memory, full size: gzip files whose members each inflate to 1 GiB
 * (10 of NUL bytes in 10 MB; one of blank lines) read by `flowlens parse`, and four concurrent 58 MiB Firehose
 * requests to `flowlens serve` at its default limits. Peak RSS of each process (GNU time's for
 * parse, VmHWM for serve); the scenario's figure is the largest.
 */
export const bombs: Scenario = {
  name: 'bombs',
  description:
    'peak RSS: gzip bombs parsed (10 × 1 GiB of NUL in 10 MB; 1 GiB of blank lines); 4 concurrent 58 MiB Firehose requests to serve',
  targets: { maxRssMb: 400 },
  async run(ctx): Promise<ScenarioResult> {
    const dir = await ctx.scratchDir();
    const extra: Record<string, number | string> = {};
    const started = performance.now();
    // NUL bytes are refused as binary at once (zlib must stop inflating then); blank lines are
    // read to the end (one member: 1 GiB of them takes the decoder most of a minute), then
    // refused as holding no record.
    for (const [name, byte, members, expectCode] of [
      ['nulBomb', 0, 10, 1],
      ['blankBomb', 0x0a, 1, 1],
    ] as const) {
      const file = join(dir, `${name}.gz`);
      const member = gzipBomb(byte, 1024);
      writeFileSync(file, Buffer.concat(Array.from({ length: members }, () => member)));
      const r = await parseUnderTime(file);
      if (r.code !== expectCode) throw new Error(`${name}: parse exited ${r.code}: ${r.stderr}`);
      extra[`${name}RssMb`] = round(r.peakRssMb, 0);
      extra[`${name}FileMb`] = round(statSync(file).size / 1048576, 1);
      rmSync(file);
    }
    const serve = await startServeProcess(['--to', 'null', '--no-alerts']);
    let delivered = 0;
    try {
      const bodies = Array.from({ length: 4 }, (_, i) => firehoseBody(`bomb-${i}`, 58));
      const answers = await Promise.all(
        bodies.map((b, i) =>
          sendHostile(serve.url, {
            name: `big-${i}`,
            headers: { 'Content-Type': 'application/json' },
            body: b.body,
            status: 200,
          }),
        ),
      );
      const statuses = answers.map((a) => a.status);
      if (statuses.some((s) => s !== 200 && s !== 503))
        throw new Error(`Firehose answers ${statuses.join(' ')}`);
      delivered = bodies.reduce((n, b, i) => n + (statuses[i] === 200 ? b.records : 0), 0);
      extra.firehoseBodyMb = round(bodies[0]!.body.length / 1048576, 1);
      extra.firehoseAnswers = statuses.join(' ');
      extra.firehoseServeRssMb = round(serve.peakRssMb(), 0);
    } finally {
      await serve.stop();
    }
    const seconds = (performance.now() - started) / 1000;
    const peakRssMb = Math.max(
      extra.nulBombRssMb as number,
      extra.blankBombRssMb as number,
      extra.firehoseServeRssMb as number,
    );
    return { records: delivered, seconds, peakRssMb, extra };
  },
};
