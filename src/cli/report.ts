import type { Writable } from 'node:stream';
import type { FlowBatch } from '../batch/flow-batch.js';
import type { RunStats } from '../core/stats.js';
import type { SourceInput } from '../core/types.js';
import type { RunReport } from '../pipeline/report.js';

/** True when the run succeeded; with --strict (`strict`), only without malformed lines. */
export function runSucceeded(report: RunReport, strict: boolean): boolean {
  return report.ok && !(strict && report.stats.malformed > 0);
}

/** The one-line JSON run summary on stderr; `ok` is the run's verdict, as the exit status says it. */
export function printSummary(report: RunReport, out: Writable, strict = false): void {
  const summary = {
    ...report.stats.toJSON(),
    ...(report.sinks.length ? { sinks: report.sinks } : {}),
    ok: runSucceeded(report, strict),
  };
  out.write(JSON.stringify(summary) + '\n');
}

export interface ProgressReporter {
  readonly hooks: {
    onBatch(batch: FlowBatch, stats: RunStats): void;
    onInput(input: SourceInput, stats: RunStats): void;
  };
  done(): void;
}

/**
 * Progress on stderr: a redrawn line on a terminal, a plain line every few seconds otherwise.
 * Inputs, records, records/s, and bytes read.
 */
export function progressReporter(out: Writable & { isTTY?: boolean }): ProgressReporter {
  const tty = out.isTTY === true;
  const started = Date.now();
  // Plain output starts after the first interval: a line at 0 records says nothing.
  let last = tty ? 0 : started;
  let lastLine = '';
  let current = '';
  const line = (stats: RunStats): string => {
    const secs = Math.max((Date.now() - started) / 1000, 0.001);
    const rate = Math.round(stats.records / secs);
    const mb = (stats.bytesIn / 1048576).toFixed(1);
    return `inputs ${stats.files}  records ${stats.records.toLocaleString('en-US')}  ${rate.toLocaleString('en-US')} rec/s  ${mb} MiB  ${current}`;
  };
  const draw = (stats: RunStats, force: boolean): void => {
    const now = Date.now();
    if (!force && now - last < (tty ? 200 : 5000)) return;
    last = now;
    lastLine = line(stats);
    out.write(tty ? `\r\x1b[2K${lastLine.slice(0, (process.stderr.columns ?? 120) - 1)}` : `${lastLine}\n`);
  };
  return {
    hooks: {
      onBatch: (_b, stats) => draw(stats, false),
      onInput: (input, stats) => {
        current = input.ref.id;
        draw(stats, false);
      },
    },
    done: () => {
      if (tty && lastLine) out.write('\r\x1b[2K');
    },
  };
}
