/**
 * `npm run bench`: runs each selected scenario in its own child process (prepare, then run),
 * compares records/s with the baseline measured in the same run, and writes
 * bench/out/report.json plus a table on stdout. See bench/README.md.
 */
import { fork } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ChildMessage } from './child.js';
import type { BenchSettings } from './context.js';
import { SCENARIOS } from './scenarios/index.js';
import type { Scenario, ScenarioReport } from './scenarios/types.js';
import { formatTable } from './table.js';

const USAGE = `Usage: npm run bench -- [scenario...] [--quick] [--all] [--list] [--out DIR]

  scenario   names to run (their baselines run too); default: every scenario not opt-in
  --quick    smoke run at 20,000 records (BENCH_RECORDS overrides either way)
  --all      include opt-in scenarios
  --list     list the scenarios and exit
  --out DIR  report and data cache directory (default bench/out)
`;

interface Args {
  names: string[];
  quick: boolean;
  all: boolean;
  list: boolean;
  outDir: string;
}

function parse(argv: string[]): Args {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      all: { type: 'boolean' },
      list: { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  return {
    names: positionals,
    quick: values.quick === true,
    all: values.all === true,
    list: values.list === true,
    outDir: resolve(values.out ?? process.env.BENCH_OUT ?? 'bench/out'),
  };
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: expected a whole number ≥ 1 (got ${value})`);
  return n;
}

/** The scenarios to run, in registry order, with every baseline a selected one needs. */
export function select(names: readonly string[], all: boolean): Scenario[] {
  for (const name of names) {
    if (!SCENARIOS.some((s) => s.name === name)) {
      throw new Error(`unknown scenario "${name}" (known: ${SCENARIOS.map((s) => s.name).join(', ')})`);
    }
  }
  const wanted = new Set(
    names.length > 0 ? names : SCENARIOS.filter((s) => all || !s.optIn).map((s) => s.name),
  );
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of SCENARIOS) {
      if (!wanted.has(s.name)) continue;
      for (const needed of [s.baseline, s.versus?.scenario]) {
        if (needed && !wanted.has(needed)) {
          wanted.add(needed);
          grew = true;
        }
      }
    }
  }
  return SCENARIOS.filter((s) => wanted.has(s.name));
}

const here = fileURLToPath(import.meta.url);
const childScript = join(dirname(here), here.endsWith('.ts') ? 'child.ts' : 'child.js');

/** Runs one phase of a scenario in a fresh process and returns its message. */
function runChild(name: string, phase: 'prepare' | 'run', settings: BenchSettings): Promise<ChildMessage> {
  return new Promise((resolvePromise) => {
    const execArgv = process.execArgv.includes('--expose-gc')
      ? process.execArgv
      : [...process.execArgv, '--expose-gc'];
    const child = fork(childScript, [name, phase, JSON.stringify(settings)], {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let message: ChildMessage | undefined;
    child.on('message', (m) => {
      message = m as ChildMessage;
    });
    child.on('error', (err) => resolvePromise({ kind: 'error', message: err.message }));
    child.on('exit', (code, signal) => {
      if (message) resolvePromise(message);
      else
        resolvePromise({
          kind: 'error',
          message: `child exited (${signal ?? `code ${code}`}) without a result`,
        });
    });
  });
}

async function runScenario(s: Scenario, settings: BenchSettings): Promise<ScenarioReport> {
  const base = { name: s.name, description: s.description, ...(s.targets ? { targets: s.targets } : {}) };
  if (s.prepare) {
    const prepared = await runChild(s.name, 'prepare', settings);
    if (prepared.kind === 'error') return { ...base, status: 'failed', note: `prepare: ${prepared.message}` };
  }
  const m = await runChild(s.name, 'run', settings);
  if (m.kind === 'error') return { ...base, status: 'failed', note: m.message };
  if (m.kind !== 'result') return { ...base, status: 'failed', note: 'unexpected message from the child' };
  const r = m.result;
  if ('unavailable' in r)
    return { ...base, status: 'unavailable', note: r.unavailable, peakRssMb: m.peakRssMb };
  return {
    ...base,
    status: 'ok',
    records: r.records,
    seconds: r.seconds,
    recordsPerSecond: r.seconds > 0 ? r.records / r.seconds : 0,
    peakRssMb: r.peakRssMb ?? m.peakRssMb,
    ...(r.extra ? { extra: r.extra } : {}),
  };
}

/** Adds ratios to named baselines and whether each target was met. */
export function compare(reports: ScenarioReport[], scenarios: readonly Scenario[]): ScenarioReport[] {
  const byName = new Map(reports.map((r) => [r.name, r]));
  return reports.map((r) => {
    const s = scenarios.find((x) => x.name === r.name);
    if (r.status !== 'ok' || !s) return r;
    const met: Record<string, boolean> = {};
    let ratio: number | undefined;
    const base = s.baseline ? byName.get(s.baseline) : undefined;
    if (base?.status === 'ok' && base.recordsPerSecond && r.recordsPerSecond !== undefined) {
      ratio = r.recordsPerSecond / base.recordsPerSecond;
      if (s.targets?.minRatio !== undefined) met.ratio = ratio >= s.targets.minRatio;
    }
    if (s.targets?.maxRssMb !== undefined && r.peakRssMb !== undefined)
      met.rss = r.peakRssMb < s.targets.maxRssMb;
    if (s.targets?.minRecordsPerSecond !== undefined && r.recordsPerSecond !== undefined)
      met.rate = r.recordsPerSecond >= s.targets.minRecordsPerSecond;
    const msPerMb = r.extra?.msPerGzipMB;
    if (s.targets?.maxMsPerGzipMb !== undefined && typeof msPerMb === 'number')
      met.msPerMB = msPerMb <= s.targets.maxMsPerGzipMb;
    const p99 = r.extra?.p99Ms;
    if (s.targets?.maxP99Ms !== undefined && typeof p99 === 'number') met.p99 = p99 < s.targets.maxP99Ms;
    const healthz = r.extra?.worstHealthzMs;
    if (s.targets?.maxHealthzMs !== undefined && typeof healthz === 'number')
      met.healthz = healthz < s.targets.maxHealthzMs;
    let versusRatio: number | undefined;
    const versus = s.versus ? byName.get(s.versus.scenario) : undefined;
    if (s.versus && versus?.status === 'ok' && versus.recordsPerSecond && r.recordsPerSecond !== undefined) {
      versusRatio = r.recordsPerSecond / versus.recordsPerSecond;
      met.versus = versusRatio >= s.versus.minRatio;
    }
    return {
      ...r,
      ...(s.targets ? { targets: s.targets } : {}),
      ...(s.baseline ? { baseline: s.baseline } : {}),
      ...(ratio !== undefined ? { ratio } : {}),
      ...(versusRatio !== undefined ? { versusRatio, versus: s.versus!.scenario } : {}),
      ...(Object.keys(met).length ? { met } : {}),
    };
  });
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  if (args.list) {
    for (const s of SCENARIOS)
      process.stdout.write(`${s.name.padEnd(22)}${s.description}${s.optIn ? ' (opt-in)' : ''}\n`);
    return 0;
  }
  const records =
    positiveInt('BENCH_RECORDS', process.env.BENCH_RECORDS) ?? (args.quick ? 20_000 : 1_000_000);
  const largeRecords = positiveInt('BENCH_LARGE_RECORDS', process.env.BENCH_LARGE_RECORDS) ?? records * 10;
  const settings: BenchSettings = { records, largeRecords, quick: args.quick, outDir: args.outDir };
  const selected = select(args.names, args.all);
  await mkdir(args.outDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg();
  const reports: ScenarioReport[] = [];
  for (const s of selected) {
    process.stderr.write(`bench: ${s.name} …\n`);
    reports.push(await runScenario(s, settings));
  }
  const compared = compare(reports, selected);
  const report = {
    startedAt,
    node: process.version,
    cpus: cpus().length,
    machine: {
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(totalmem() / 2 ** 30),
      os: `${process.platform} ${release()}`,
    },
    // 1, 5 and 15 minute load averages: on a shared machine they say how far to trust the figures
    loadAverage: { start: loadAtStart, end: loadavg() },
    records,
    largeRecords,
    quick: args.quick,
    scenarios: compared,
  };
  const reportPath = join(args.outDir, 'report.json');
  await writeFile(reportPath, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(formatTable(compared) + '\n');
  process.stdout.write(`\nreport: ${reportPath}\n`);
  return compared.some((r) => r.status === 'failed') ? 1 : 0;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === here;
if (invokedDirectly) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
