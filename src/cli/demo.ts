import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type OptionSpec, optionHelp, optionsOf, parseCommandLine } from '../config/options.js';
import type { SourceInput } from '../core/types.js';
import { writeSample } from '../generate/index.js';
import { INGEST_OPTIONS, TO_OPTION } from '../pipeline/build.js';
import { runOnce } from '../pipeline/once.js';
import { resolveWithConfig } from '../pipeline/options.js';
import { DB_OPTION } from '../sinks/store/options.js';
import { fileInput } from '../sources/files.js';
import { openStoreReader } from '../store/open.js';
import { runReport } from '../store/report-run.js';
import { reportText } from '../store/report-text.js';
import { findReport } from '../store/reports.js';
import { progressReporter } from './report.js';

const DEMO_OWN = [
  {
    name: 'records',
    type: 'int',
    min: 1,
    max: 100_000_000,
    default: 200_000,
    description: 'Records of the generated sample (when no --input)',
    placeholder: 'n',
  },
  {
    name: 'input',
    type: 'string',
    multiple: true,
    description: 'Ingest these instead of a generated sample: files, directories, s3://bucket/prefix',
    placeholder: 'path',
  },
  { name: 'seed', type: 'int', default: 1, description: 'Seed of the generated sample', placeholder: 'n' },
  {
    name: 'top',
    type: 'int',
    min: 1,
    max: 1000,
    default: 5,
    description: 'Rows per report table',
    placeholder: 'n',
  },
] as const satisfies readonly OptionSpec[];

function demoOptions(): OptionSpec[] {
  const own = new Set<string>(DEMO_OWN.map((o) => o.name));
  return [...DEMO_OWN, ...INGEST_OPTIONS().filter((o) => !own.has(o.name))];
}

const HEADLINE = ['top-talkers', 'rejected', 'protocols'] as const;

const HELP = (
  specs: readonly OptionSpec[],
) => `Usage: flowlens demo [--records N] [--input PATH]... [--db PATH]

The main job on the embedded default: generates a realistic sample of VPC Flow Logs (or takes
--input files, directories or an s3:// prefix), ingests it into the DuckDB store (--db) with a
progress line, and prints the headline reports: top talkers, rejected traffic, protocols.
Re-running it on the same store and sample adds nothing (ingest is idempotent).

Options:
${optionHelp(specs)}
`;

export async function run(argv: string[]): Promise<number> {
  const specs = demoOptions();
  const cli = parseCommandLine(argv, specs);
  if (cli.flags.help) {
    process.stdout.write(HELP(specs));
    return 0;
  }
  if (cli.positionals.length > 0) {
    throw new ConfigError(`unexpected argument "${cli.positionals[0]}" (inputs go after --input)`);
  }
  const options = resolveWithConfig(specs, cli, process.env);
  const o = optionsOf([...DEMO_OWN, DB_OPTION, TO_OPTION], options);
  const db = o.db;
  const to = o.to;
  if (!to.includes('store')) throw new ConfigError('--to: the demo ingests into the store; add --to store');
  const out = process.stdout;
  const err = process.stderr;
  const inputs = o.input;
  let sampleFile: string | undefined;
  let sources: readonly string[] | SourceInput[];
  if (inputs && inputs.length > 0) {
    sources = inputs;
  } else {
    const records = o.records;
    const seed = o.seed;
    // A stable path: the same sample keeps the same record uids, so a re-run adds nothing.
    const sampleDir = join(tmpdir(), `flowlens-demo-${process.getuid?.() ?? 'user'}`);
    mkdirSync(sampleDir, { recursive: true });
    const file = join(sampleDir, `vpc-flow-logs-v5-${records}-seed${seed}.log.gz`);
    sampleFile = file;
    err.write(`Generating ${records.toLocaleString('en-US')} synthetic flow-log records (v5 fields)…\n`);
    const truth = await writeSample(file, { records, version: '5', seed });
    err.write(
      `  ${file}: ${truth.ok.toLocaleString('en-US')} OK, ${truth.nodata + truth.skipdata} NODATA/SKIPDATA\n`,
    );
    sources = [fileInput(file)];
  }
  try {
    err.write(`Ingesting into ${db}…\n`);
    const started = performance.now();
    const progress = options.quiet === true ? undefined : progressReporter(err);
    const report = await runOnce(
      sources,
      options,
      { env: process.env, log: (m) => err.write(`${m}\n`) },
      progress ? progress.hooks : {},
    );
    progress?.done();
    const secs = (performance.now() - started) / 1000;
    const store = report.sinks.find((s) => s.name === 'store');
    const added = Number(store?.details?.added ?? 0);
    const dup = Number(store?.details?.duplicates ?? 0);
    const stats = report.stats;
    err.write(
      `  ${stats.records.toLocaleString('en-US')} records from ${stats.files} input(s) in ${secs.toFixed(1)} s ` +
        `(${Math.round(stats.records / Math.max(secs, 0.001)).toLocaleString('en-US')} rec/s): ` +
        `${added.toLocaleString('en-US')} added, ${dup.toLocaleString('en-US')} already stored` +
        (stats.malformed ? `, ${stats.malformed} malformed` : '') +
        '\n',
    );
    for (const e of stats.errors) err.write(`  error: ${e.source}: ${e.message}\n`);
    for (const s of report.sinks) for (const e of s.errors) err.write(`  error: ${s.name}: ${e}\n`);
    if (!report.ok && added + dup === 0) return 1;
    const reader = await openStoreReader(db);
    try {
      for (const name of HEADLINE) {
        const result = await runReport(reader.con, findReport(name)!, { limit: o.top });
        out.write(`\n━━ ${name} ━━\n\n${reportText(result)}`);
      }
    } finally {
      reader.close();
    }
    const dbArg = db === './flowlens.duckdb' ? '' : ` --db ${db}`;
    const hints: Array<[string, string]> = [
      [`npx flowlens dashboard${dbArg}`, 'open the web dashboard on this store (prints its URL)'],
      [`npx flowlens report${dbArg}`, 'every report'],
      [`npx flowlens report timeline${dbArg}`, 'traffic over time, accepted vs rejected'],
      [`npx flowlens report egress${dbArg} --json`, 'bytes leaving for the internet, as JSON'],
      [
        `npx flowlens query${dbArg} "SELECT dstport, count(*) FROM flows GROUP BY ALL ORDER BY 2 DESC LIMIT 10"`,
        '',
      ],
      [`npx flowlens ingest <files|dir|s3://bucket/prefix>${dbArg}`, 'add your own flow logs'],
    ];
    const width = Math.max(...hints.filter(([, why]) => why).map(([cmd]) => cmd.length)) + 2;
    out.write(
      [
        '',
        'Next:',
        ...hints.map(([cmd, why]) => (why ? `  ${cmd.padEnd(width)}${why}` : `  ${cmd}`)),
        '',
      ].join('\n'),
    );
    return report.ok ? 0 : 1;
  } finally {
    if (sampleFile) rmSync(sampleFile, { force: true });
  }
}
