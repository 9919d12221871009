/**
 * The CLI's commands. Each lives in its own file and is loaded only when run, so
 * `flowlens parse` never pays for DuckDB or the AWS SDK.
 */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Runs the command; resolves to the process exit code. */
  load(): Promise<{ run(argv: string[]): Promise<number> }>;
}

export const COMMANDS: readonly Command[] = [
  { name: 'parse', summary: 'Decode flow logs to NDJSON on stdout', load: () => import('./parse.js') },
  {
    name: 'ingest',
    summary: 'Run the pipeline into the store or other sinks',
    load: () => import('./ingest.js'),
  },
  { name: 'generate', summary: 'Write realistic synthetic flow logs', load: () => import('./generate.js') },
  {
    name: 'query',
    summary: 'Run SQL over the store (table flows) or a Parquet lake',
    load: () => import('./query.js'),
  },
  {
    name: 'report',
    summary: 'Built-in reports: top-talkers, rejected, protocols…',
    load: () => import('./report-command.js'),
  },
  {
    name: 'athena-ddl',
    summary: 'Print Athena CREATE TABLE statements for a lake or AWS flow-log prefixes',
    load: () => import('./athena-ddl.js'),
  },
  {
    name: 'demo',
    summary: 'Generate a sample, ingest it into the store, show the headline reports',
    load: () => import('./demo.js'),
  },
  {
    name: 'alerts',
    summary: 'Detection rules: list them, backtest them over the store',
    load: () => import('./alerts.js'),
  },
  {
    name: 'dashboard',
    summary: 'Web dashboard over the store or a lake (read-only, 127.0.0.1)',
    load: () => import('./dashboard.js'),
  },
  {
    name: 'serve',
    summary: 'The service: Firehose endpoint, SQS notifications, dashboard, alerts, /metrics',
    load: () => import('./serve.js'),
  },
];
