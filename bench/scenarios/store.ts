import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { repoRoot } from '../repo-root.js';
import { round, v2File } from './baseline.js';
import type { DataFile, Scenario, ScenarioResult } from './types.js';

/**
 * The embedded store: ingest of the 1M-record v2 gzip file against DuckDB's own read_csv of the
 * same file into a table (same run, same machine), and the top-talkers report over 10M stored
 * records (the 1M ingest duplicated ten times with SQL, new uids per copy).
 */

const run = promisify(execFile);
const quote = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/**
 * Runs a command as a user would and times it whole (process start-up, module loading, the
 * database opened, the data committed, the process gone): wall seconds and the command's
 * peak RSS (GNU time's %M, in KB).
 */
async function timedCommand(args: readonly string[]): Promise<{ seconds: number; peakRssMb: number }> {
  const started = performance.now();
  const { stderr } = await run('/usr/bin/time', ['-f', 'maxrss=%M', process.execPath, ...args], {
    cwd: repoRoot(),
    maxBuffer: 16 * 1024 * 1024,
  });
  const seconds = (performance.now() - started) / 1000;
  const rss = /maxrss=(\d+)/.exec(stderr);
  return { seconds, peakRssMb: rss ? Number(rss[1]) / 1024 : Number.NaN };
}

async function countRows(db: string, table: string): Promise<number> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(db);
  const con = await instance.connect();
  const n = Number((await con.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRowsJS()[0]![0]);
  con.closeSync();
  instance.closeSync();
  return n;
}

/** DuckDB's read_csv of the gzip text into a table of a fresh database file, as one `node` command: the baseline. */
export const storeReadCsv: Scenario = {
  name: 'store-read-csv',
  description:
    "DuckDB's own read_csv of the 1M-record v2 .gz into a table, a whole node command (store baseline)",
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx) {
    const data = await ctx.dataFile(v2File(ctx));
    const db = join(await ctx.scratchDir(), 'read-csv.duckdb');
    const script = `import { DuckDBInstance } from '@duckdb/node-api';
const instance = await DuckDBInstance.create(${JSON.stringify(db)});
const con = await instance.connect();
await con.run(${JSON.stringify(`CREATE TABLE flows AS SELECT * FROM read_csv(${quote(data.path)}, delim = ' ', header = true, nullstr = '-')`)});
await con.run('CHECKPOINT');
con.closeSync();
instance.closeSync();`;
    const timed = await timedCommand(['--input-type=module', '-e', script]);
    const n = await countRows(db, 'flows');
    if (n !== data.truth.records)
      throw new Error(`read_csv loaded ${n} rows, the file has ${data.truth.records}`);
    return { records: n, ...timed, extra: { fileMB: round(data.bytes / 1e6) } };
  },
};

/** `flowlens ingest FILE --db DB --enrich …` as a whole command. */
async function ingest(data: DataFile, db: string, enrich: string[]): Promise<ScenarioResult> {
  const cli = join(repoRoot(), 'bin/flowlens.js');
  const timed = await timedCommand([
    cli,
    'ingest',
    data.path,
    '--db',
    db,
    '--enrich',
    enrich.join(','),
    '--quiet',
  ]);
  const n = await countRows(db, 'flows');
  if (n !== data.truth.records)
    throw new Error(`ingest stored ${n} records, the file has ${data.truth.records}`);
  return {
    records: n,
    ...timed,
    extra: { fileMB: round(data.bytes / 1e6), enrich: enrich.join(',') },
  };
}

export const storeIngest: Scenario = {
  name: 'store-ingest',
  description:
    'flowlens ingest of the 1M-record v2 .gz into the store (default enrichers), the whole command',
  baseline: 'store-read-csv',
  targets: { minRatio: 0.8 },
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx) {
    const data = await ctx.dataFile(v2File(ctx));
    return ingest(data, join(await ctx.scratchDir(), 'ingest.duckdb'), ['all']);
  },
};

export const storeIngestPlain: Scenario = {
  name: 'store-ingest-plain',
  description: 'as store-ingest, enrichers off (--enrich none)',
  baseline: 'store-read-csv',
  targets: { minRatio: 0.8 },
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx) {
    const data = await ctx.dataFile(v2File(ctx));
    return ingest(data, join(await ctx.scratchDir(), 'ingest-plain.duckdb'), ['none']);
  },
};

export const storeTopTalkers: Scenario = {
  name: 'store-top-talkers',
  description: 'top-talkers report (3 sections) over 10M stored records; seconds = the report only',
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx) {
    const data = await ctx.dataFile(v2File(ctx));
    const db = join(await ctx.scratchDir(), 'top-talkers.duckdb');
    await ingest(data, db, ['none']);
    const copies = Math.max(1, Math.round(ctx.largeRecords / data.truth.records));
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const { runReport } = await import('../../src/store/report-run.js');
    const { findReport } = await import('../../src/store/reports.js');
    const instance = await DuckDBInstance.create(db);
    const con = await instance.connect();
    // Copies 1..n-1 of every record, each with a distinct uid (the copy number in bits 100+).
    await con.run(
      `INSERT INTO flow_records SELECT f.* REPLACE (f.uid + (CAST(r.k AS UHUGEINT) << 100) AS uid)
       FROM flow_records f, range(1, ${copies}) r(k)`,
    );
    await con.run('CHECKPOINT');
    const rows = Number((await con.runAndReadAll('SELECT count(*) FROM flows')).getRowsJS()[0]![0]);
    const def = findReport('top-talkers')!;
    await runReport(con, def, { limit: 10 }); // warm: first touch of the columns
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await runReport(con, def, { limit: 10 });
      times.push(performance.now() - started);
    }
    con.closeSync();
    instance.closeSync();
    times.sort((a, b) => a - b);
    const median = times[1]!;
    return {
      records: rows,
      seconds: median / 1000,
      extra: { reportMs: Math.round(median), bestMs: Math.round(times[0]!), targetMs: 300 },
    };
  },
};

/** CPU seconds of this process's main thread so far (Linux /proc; undefined elsewhere). */
function mainThreadCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
/** Linux's USER_HZ: /proc reports CPU times in 1/100 s. */
const CLOCK_TICKS = 100;

/**
 * CPU seconds of a timed stretch: the process's, the main thread's (decoding, enrichers, the
 * store's encoding) and the rest (the store's worker, DuckDB, inflate and GC threads).
 */
function cpuSplit(
  cpu: NodeJS.CpuUsage,
  main0: number | undefined,
  main1: number | undefined,
): { cpuS: number; mainCpuS: number; otherCpuS: number } {
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const mainCpu = main0 !== undefined && main1 !== undefined ? main1 - main0 : Number.NaN;
  return {
    cpuS: round(cpuSeconds, 2),
    mainCpuS: round(mainCpu, 2),
    otherCpuS: round(cpuSeconds - mainCpu, 2),
  };
}

/**
 * The store's own part of an ingest, alone: the 1M-record file is decoded and enriched into
 * memory first (not timed), then the `store` sink's write…endInput…close into a fresh database
 * is timed. Wall seconds, and CPU split into the main thread's (what competes with decoding)
 * and the rest (the store worker and DuckDB's threads), and into the part up to the commit
 * and the close (the rollups' catch-up).
 */
async function measureStoreSink(data: DataFile, db: string, enrich: string[]): Promise<ScenarioResult> {
  const { decodeInput } = await import('../../src/decode/detect.js');
  const { buildEnrichers } = await import('../../src/enrich/index.js');
  const { RunStats } = await import('../../src/core/stats.js');
  const { fileInput } = await import('../../src/sources/files.js');
  const { create } = await import('../../src/sinks/store/sink.js');
  const enrichers = await buildEnrichers({ enrich });
  const input = fileInput(data.path, data.bytes);
  const batches: FlowBatch[] = [];
  for await (const batch of decodeInput(input, {
    stats: new RunStats(),
    batchSize: 8192,
    keepLineText: false,
  })) {
    for (const e of enrichers) e.enrich(batch);
    batches.push(batch);
  }
  global.gc?.();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuSeconds();
  const started = performance.now();
  const sink = await create(
    { db, 'store-memory-mb': 512 },
    { env: {}, stats: new RunStats(), log: () => undefined },
  );
  for (const batch of batches) await sink.write(batch);
  await sink.endInput?.(input.ref);
  const committed = process.cpuUsage(cpu0);
  const result = await sink.close();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const main1 = mainThreadCpuSeconds();
  if (result.details?.added !== data.truth.records)
    throw new Error(`store sink added ${String(result.details?.added)}, the file has ${data.truth.records}`);
  return {
    records: data.truth.records,
    seconds,
    extra: {
      ...cpuSplit(cpu, main0, main1),
      // Up to the input's commit (appends and commit), and the close after it: the rollups
      // brought up to the new records (rollup-sync.ts) and the final checkpoint.
      commitCpuS: round((committed.user + committed.system) / 1e6, 2),
      closeCpuS: round((cpu.user + cpu.system - committed.user - committed.system) / 1e6, 2),
      enrich: enrich.join(','),
    },
  };
}

export const storeSink: Scenario = {
  name: 'store-sink',
  description: 'the store sink alone (write…close) on 1M decoded+enriched records held in memory',
  baseline: 'store-read-csv',
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx) {
    const data = await ctx.dataFile(v2File(ctx));
    return measureStoreSink(data, join(await ctx.scratchDir(), 'sink.duckdb'), ['all']);
  },
};

export const storeSinkPlain: Scenario = {
  name: 'store-sink-plain',
  description: 'the store sink alone (write…close) on 1M decoded records (no enrichment) held in memory',
  baseline: 'store-read-csv',
  async prepare(ctx) {
    await ctx.dataFile(v2File(ctx));
  },
  async run(ctx) {
    const data = await ctx.dataFile(v2File(ctx));
    return measureStoreSink(data, join(await ctx.scratchDir(), 'sink-plain.duckdb'), ['none']);
  },
};
