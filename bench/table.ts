import type { ScenarioReport } from './scenarios/types.js';

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmt = (n: number, digits: number): string => n.toFixed(digits);

/** The report as a fixed-width table, targets next to the figures they apply to. */
export function formatTable(reports: readonly ScenarioReport[]): string {
  const header = [
    'scenario',
    'records',
    'seconds',
    'records/s',
    'ratio (target)',
    'peak RSS MB (target)',
    'notes',
  ];
  const rows = reports.map((r) => {
    if (r.status !== 'ok') {
      return [
        r.name,
        '',
        '',
        '',
        '',
        r.peakRssMb ? fmt(r.peakRssMb, 0) : '',
        `${r.status.toUpperCase()}: ${r.note ?? ''}`,
      ];
    }
    const t = r.targets;
    const mark = (key: string): string => (r.met?.[key] === undefined ? '' : r.met[key] ? ' ok' : ' MISSED');
    const ratio =
      r.ratio === undefined
        ? r.baseline
          ? 'n/a'
          : '(baseline)'
        : `${fmt(r.ratio, 2)}${t?.minRatio !== undefined ? ` (≥ ${t.minRatio})${mark('ratio')}` : ''}`;
    const rss =
      r.peakRssMb === undefined
        ? ''
        : `${fmt(r.peakRssMb, 0)}${t?.maxRssMb !== undefined ? ` (< ${t.maxRssMb})${mark('rss')}` : ''}`;
    const perMb =
      t?.maxMsPerGzipMb === undefined ? [] : [`ms/MB target ≤ ${t.maxMsPerGzipMb}${mark('msPerMB')}`];
    const p99 = t?.maxP99Ms === undefined ? [] : [`p99 target < ${t.maxP99Ms} ms${mark('p99')}`];
    const healthz =
      t?.maxHealthzMs === undefined ? [] : [`/healthz target < ${t.maxHealthzMs} ms${mark('healthz')}`];
    const versus =
      r.versusRatio === undefined ? [] : [`${fmt(r.versusRatio, 1)}× ${r.versus}${mark('versus')}`];
    const notes = [
      ...versus,
      ...perMb,
      ...p99,
      ...healthz,
      ...Object.entries(r.extra ?? {}).map(([k, v]) => `${k}=${v}`),
    ].join(' ');
    const rate =
      fmtInt(r.recordsPerSecond ?? 0) +
      (t?.minRecordsPerSecond !== undefined ? ` (≥ ${fmtInt(t.minRecordsPerSecond)})${mark('rate')}` : '');
    return [r.name, fmtInt(r.records ?? 0), fmt(r.seconds ?? 0, 2), rate, ratio, rss, notes];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c >= 1 && c <= 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
