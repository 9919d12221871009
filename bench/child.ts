/**
 * Runs one phase (prepare or run) of one scenario in its own process, so peak RSS is the
 * scenario's own, and reports back to the harness over IPC.
 */
import { type BenchSettings, createContext } from './context.js';
import { SCENARIOS } from './scenarios/index.js';
import type { ScenarioResult, ScenarioUnavailable } from './scenarios/types.js';

export type ChildMessage =
  | { kind: 'prepared'; peakRssMb: number }
  | { kind: 'result'; result: ScenarioResult | ScenarioUnavailable; peakRssMb: number }
  | { kind: 'error'; message: string };

function peakRssMb(): number {
  // maxRSS is in kilobytes
  return process.resourceUsage().maxRSS / 1024;
}

async function main(): Promise<void> {
  const [name, phase, settingsJson] = process.argv.slice(2);
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario || !settingsJson) throw new Error(`unknown scenario ${name}`);
  const ctx = createContext(JSON.parse(settingsJson) as BenchSettings, scenario.name);
  let message: ChildMessage;
  if (phase === 'prepare') {
    await scenario.prepare?.(ctx);
    message = { kind: 'prepared', peakRssMb: peakRssMb() };
  } else {
    global.gc?.();
    const result = await scenario.run(ctx);
    message = { kind: 'result', result, peakRssMb: peakRssMb() };
  }
  process.send?.(message);
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.send?.({ kind: 'error', message } satisfies ChildMessage);
  process.exitCode = 1;
});
