import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startCountingReceiver } from '../receivers/spawn.js';
import { repoRoot } from '../repo-root.js';
import { round, v2File } from './baseline.js';
import type { BenchContext, Scenario, ScenarioResult } from './types.js';

const run = promisify(execFile);

/**
 * AWS Lambda's public price per GB-second of x86 duration (first 6 billion GB-seconds a month,
 * us-east-1), as listed on aws.amazon.com/lambda/pricing since December 2020; stated here on
 * 2026-12-07. Arm64 costs 20 % less.
 */
export const LAMBDA_USD_PER_GB_SECOND = 0.0000166667;
export const LAMBDA_PRICE_DATE = '2026-12-07';
/** The memory size the cost is computed for: the size at which Lambda gives a function one full vCPU. */
const LAMBDA_MEMORY_MB = 1769;

const BUCKET = 'bench-flow-logs';
const KEY = 'AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/bench.log.gz';

/** What the runner process writes back: the handler's time and the process's peak RSS. */
interface RunnerOutput {
  readonly initMs: number;
  readonly handlerMs: number;
  readonly maxRssKb: number;
  readonly result: unknown;
}

/**
 * The packaged bundle (`npm run package`: dist/lambda/index.mjs) in a fresh Node process pinned
 * to one CPU with taskset (a 1,769 MB function has one vCPU), its handler called with one S3
 * event for the 1M-record gzip object in s3rver, delivering to the counting OTLP receiver.
 * Timed: the handler call (the module's load is reported as initMs). The cost per TB of gzip
 * input is the handler's time at 1,769 MB at the price above.
 */
async function lambdaRun(ctx: BenchContext, env: Record<string, string>): Promise<ScenarioResult> {
  const root = repoRoot();
  const bundle = join(root, 'dist/lambda/index.mjs');
  const data = await ctx.dataFile(v2File(ctx));
  const scratch = await ctx.scratchDir();
  // s3rver ships no types.
  // @ts-expect-error
  const { default: S3rver } = await import('s3rver');
  const { CreateBucketCommand, PutObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
  const s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(scratch, 's3') });
  const address = (await s3rver.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${address.port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials });
  const receiver = await startCountingReceiver();
  try {
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: readFileSync(data.path) }));
    const event = {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: 'us-east-1',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: BUCKET }, object: { key: KEY, size: data.bytes } },
        },
      ],
    };
    const runner = join(scratch, 'runner.mjs');
    const output = join(scratch, 'output.json');
    writeFileSync(
      runner,
      `import { writeFileSync } from 'node:fs';
const t0 = performance.now();
const { handler } = await import(${JSON.stringify(bundle)});
const t1 = performance.now();
const result = await handler(${JSON.stringify(event)}, { getRemainingTimeInMillis: () => 900000, awsRequestId: 'bench' });
const t2 = performance.now();
writeFileSync(${JSON.stringify(output)}, JSON.stringify({ initMs: t1 - t0, handlerMs: t2 - t1, maxRssKb: process.resourceUsage().maxRSS, result }));
`,
    );
    const before = await receiver.counts();
    await run('taskset', ['-c', '0', process.execPath, runner], {
      cwd: scratch,
      env: {
        PATH: process.env.PATH ?? '',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_S3: endpoint,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(LAMBDA_MEMORY_MB),
        FLOWLENS_SINKS: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        FLOWLENS_CONTINUATION: 'off',
        ...env,
      },
      maxBuffer: 16 * 1024 * 1024,
    });
    const out = JSON.parse(readFileSync(output, 'utf8')) as RunnerOutput;
    const after = await receiver.counts();
    const gzipMB = data.bytes / 1e6;
    const msPerGzipMB = out.handlerMs / gzipMB;
    // seconds per TB (1e6 MB) × GB of memory × price per GB-second
    const usdPerTB = ((msPerGzipMB * 1e6) / 1000) * (LAMBDA_MEMORY_MB / 1024) * LAMBDA_USD_PER_GB_SECOND;
    const sentBytes = after.bytes - before.bytes;
    if (sentBytes <= 0) throw new Error(`the handler sent nothing: ${JSON.stringify(out.result)}`);
    return {
      records: data.truth.records,
      seconds: out.handlerMs / 1000,
      peakRssMb: out.maxRssKb / 1024,
      extra: {
        msPerGzipMB: round(msPerGzipMB, 1),
        usdPerTBgzip: round(usdPerTB, 2),
        price: `$${LAMBDA_USD_PER_GB_SECOND}/GB-s x86 (${LAMBDA_PRICE_DATE}) at ${LAMBDA_MEMORY_MB} MB`,
        initMs: Math.round(out.initMs),
        gzipMB: round(gzipMB, 1),
        requests: after.requests - before.requests,
        bytesPerRecord: round(sentBytes / data.truth.records),
      },
    };
  } finally {
    client.destroy();
    await receiver.stop();
    await s3rver.close();
  }
}

async function prepareLambda(ctx: BenchContext): Promise<void> {
  await ctx.dataFile(v2File(ctx));
  // the bundle as `npm run package` builds it, from the sources just built
  await run(process.execPath, [join(repoRoot(), 'scripts/package-lambda.mjs')], { cwd: repoRoot() });
}

export const lambdaS3Otlp: Scenario = {
  name: 'lambda-s3-otlp',
  description:
    'Lambda bundle on one CPU: one S3 event (1M-record .gz in s3rver) → OTLP, FLOWLENS_ENRICH=none',
  targets: { maxMsPerGzipMb: 100, maxRssMb: 200 },
  prepare: prepareLambda,
  run: (ctx) => lambdaRun(ctx, { FLOWLENS_ENRICH: 'none' }),
};

export const lambdaS3OtlpDefault: Scenario = {
  name: 'lambda-s3-otlp-default',
  description: 'as lambda-s3-otlp, the default configuration (every default enricher on)',
  baseline: 'lambda-s3-otlp',
  targets: { maxMsPerGzipMb: 130, maxRssMb: 200 },
  prepare: prepareLambda,
  run: (ctx) => lambdaRun(ctx, {}),
};
