import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EsBulkReceiver } from '../receivers/es-bulk.js';
import { OtlpHttpReceiver } from '../receivers/otlp-http.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = 'test/fixtures/sinks/v5-200.log';

/** Runs the CLI from source; resolves with exit code, stderr's summary line and stderr. */
function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; summary: Record<string, unknown>; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/sinks/run-cli.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stderr.trimEnd().split('\n').pop() ?? '';
      let summary: Record<string, unknown> = {};
      try {
        summary = JSON.parse(last) as Record<string, unknown>;
      } catch {
        // not a summary: the caller checks stderr
      }
      resolve({ code: code ?? -1, summary, stderr });
    });
  });
}

interface SinkSummary {
  name: string;
  delivered: number;
  failed: number;
  rejected: number;
  errors: string[];
}

describe('flowlens ingest --to otlp / elasticsearch (CLI, loopback receivers)', () => {
  const stops: Array<() => Promise<void>> = [];
  after(async () => {
    for (const s of stops) await s();
  });

  it('fans out to OTLP (endpoint from the environment) and Elasticsearch; exit 0', async () => {
    const otlp = await new OtlpHttpReceiver().start();
    const es = await new EsBulkReceiver().start();
    stops.push(
      () => otlp.stop(),
      () => es.stop(),
    );
    const { code, summary, stderr } = await cli(
      ['ingest', fixture, '--to', 'otlp', '--to', 'elasticsearch', '--es-url', es.url, '--quiet'],
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-token=a%20b',
        OTEL_SERVICE_NAME: 'flows',
      },
    );
    assert.equal(code, 0, stderr);
    const sinks = summary.sinks as SinkSummary[];
    // 200 OK records and one NODATA record, which is a record too.
    assert.deepEqual(
      sinks.map((s) => [s.name, s.delivered, s.failed, s.rejected]),
      [
        ['otlp', 201, 0, 0],
        ['elasticsearch', 201, 0, 0],
      ],
    );
    assert.equal(otlp.accepted.length, 201);
    assert.equal(otlp.requests[0]!.path, '/v1/logs');
    assert.equal(otlp.requests[0]!.headers['x-token'], 'a b');
    assert.ok(otlp.accepted.every((r) => r.resource['service.name'] === 'flows'));
    assert.equal(es.docs.size, 201);
  });

  it('a permanently failing backend stops the run with exit 1 and a quoted reason', async () => {
    const otlp = await new OtlpHttpReceiver(() => ({
      kind: 'error',
      status: 400,
      message: 'invalid log record',
    })).start();
    stops.push(() => otlp.stop());
    const { code, summary } = await cli([
      'ingest',
      fixture,
      '--to',
      'otlp',
      '--otlp-endpoint',
      otlp.url,
      '--quiet',
    ]);
    assert.equal(code, 1);
    const sink = (summary.sinks as SinkSummary[])[0]!;
    assert.equal(sink.delivered, 0);
    assert.equal(sink.failed, 201);
    assert.match(sink.errors[0]!, /HTTP 400: invalid log record/);
  });

  it('a bad setting fails at start naming it', async () => {
    const { code, stderr } = await cli(['ingest', fixture, '--to', 'otlp'], {
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'carrier-pigeon',
    });
    assert.equal(code, 2);
    assert.match(stderr, /OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: expected one of/);
  });
});
