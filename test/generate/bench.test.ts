import assert from 'node:assert/strict';
import { fork, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compare, select } from '../../bench/run.js';
import { SCENARIOS } from '../../bench/scenarios/index.js';
import type { ScenarioReport } from '../../bench/scenarios/types.js';
import { formatTable } from '../../bench/table.js';

const root = join(import.meta.dirname, '..', '..');
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowlens-bench-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bench harness', () => {
  it('runs the baseline scenario end to end in a child process and writes the report', async () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', 'baseline', '--out', dir], {
      cwd: root,
      env: { ...process.env, BENCH_RECORDS: '3000' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    assert.equal(report.records, 3000);
    assert.equal(report.scenarios.length, 1);
    const base = report.scenarios[0];
    assert.equal(base.name, 'baseline');
    assert.equal(base.status, 'ok');
    assert.equal(base.records, 3000);
    assert.ok(base.peakRssMb > 0);
    assert.ok(r.stdout.includes('baseline'));
    // the data file is cached for the next run
    const again = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', 'baseline', '--out', dir], {
      cwd: root,
      env: { ...process.env, BENCH_RECORDS: '3000' },
      encoding: 'utf8',
    });
    assert.equal(again.status, 0, again.stderr);
    assert.ok(!again.stderr.includes('generating'));
  });

  it('has a counting receiver that reads sized and chunked requests on keep-alive connections', {
    timeout: 30_000,
  }, async () => {
    const child = fork(join(root, 'bench/receivers/count-server.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: 'inherit',
    });
    try {
      const port = await new Promise<number>((resolve) =>
        child.once('message', (m: { port: number }) => resolve(m.port)),
      );
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const post = (body: Buffer, chunked: boolean, json: boolean) =>
        new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
          const headers: Record<string, string> = {
            'content-type': json ? 'application/json' : 'application/x-protobuf',
          };
          if (!chunked) headers['content-length'] = String(body.length);
          const req = http.request({
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/v1/logs',
            agent,
            headers,
          });
          req.on('response', (res) => {
            let text = '';
            res.on('data', (c: Buffer) => {
              text += c.toString();
            });
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body: text, type: String(res.headers['content-type']) }),
            );
          });
          req.on('error', reject);
          if (chunked) {
            // several chunks of odd sizes, so chunk boundaries fall inside the receiver's reads
            for (let i = 0; i < body.length; i += 777) req.write(body.subarray(i, i + 777));
            req.end();
          } else req.end(body);
        });
      let sent = 0;
      for (let i = 0; i < 12; i++) {
        const body = Buffer.alloc(i === 0 ? 0 : 3000 + i * 50_001, i);
        sent += body.length;
        const res = await post(body, i % 2 === 1, i % 3 === 0);
        assert.equal(res.status, 200);
        assert.equal(res.body, i % 3 === 0 ? '{}' : '');
        assert.equal(res.type, i % 3 === 0 ? 'application/json' : 'application/x-protobuf');
      }
      const counts = await new Promise<{ requests: number; bytes: number }>((resolve) => {
        child.once('message', resolve);
        child.send({ type: 'counts' });
      });
      assert.equal(counts.requests, 12);
      assert.equal(counts.bytes, sent);
      // `stop` ends it even while the client keeps its connection open
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      assert.equal(await exited, 0);
      agent.destroy();
    } finally {
      child.kill();
    }
  });

  it('selects baselines with the scenarios that need them, and rejects unknown names', () => {
    assert.deepEqual(
      select(['decode'], false).map((s) => s.name),
      ['baseline', 'decode'],
    );
    assert.ok(!select([], false).some((s) => s.optIn));
    assert.throws(() => select(['nope'], false), /unknown scenario "nope"/);
    const names = SCENARIOS.map((s) => s.name);
    assert.equal(new Set(names).size, names.length, 'scenario names are unique');
  });

  it('computes ratios against the same-run baseline and checks targets', () => {
    const reports: ScenarioReport[] = [
      {
        name: 'baseline',
        description: '',
        status: 'ok',
        records: 100,
        seconds: 1,
        recordsPerSecond: 100,
        peakRssMb: 50,
      },
      {
        name: 'decode',
        description: '',
        status: 'ok',
        records: 100,
        seconds: 4,
        recordsPerSecond: 25,
        peakRssMb: 160,
      },
    ];
    const [, decode] = compare(reports, select(['decode'], false));
    assert.equal(decode!.ratio, 0.25);
    assert.deepEqual(decode!.met, { ratio: false, rss: false });
    const table = formatTable(compare(reports, select(['decode'], false)));
    assert.match(table, /0\.25 \(≥ 0\.5\) MISSED/);
  });

  it('checks the slowest /healthz answer of serve-hostile against its target', () => {
    const report = (worstHealthzMs: number): ScenarioReport => ({
      name: 'serve-hostile',
      description: '',
      status: 'ok',
      records: 11,
      seconds: 10,
      recordsPerSecond: 1.1,
      peakRssMb: 150,
      extra: { worstHealthzMs },
    });
    const scenarios = select(['serve-hostile'], false);
    assert.deepEqual(compare([report(120)], scenarios)[0]!.met, { rss: true, healthz: true });
    const slow = compare([report(1500)], scenarios);
    assert.deepEqual(slow[0]!.met, { rss: true, healthz: false });
    assert.match(formatTable(slow), /\/healthz target < 1000 ms MISSED/);
  });
});
