import type { GroundTruth, SampleSpec } from '../../src/generate/index.js';

/**
 * The benchmark scenario contract. Each scenario runs in its own child process so its
 * peak RSS is its own; the harness computes records/s and the ratio to the named baseline
 * measured in the same run (the machine is noisy, ratios are not).
 */
export interface BenchContext {
  /** Records of the standard data set (1,000,000; BENCH_RECORDS or --quick scale it down). */
  readonly records: number;
  /** Records of the large data set (10× `records`: 10,000,000 by default). */
  readonly largeRecords: number;
  /** True for a smoke run (`--quick`): small data, results not meaningful. */
  readonly quick: boolean;
  /** Directory for cached data and scratch files (bench/out, git-ignored). */
  readonly outDir: string;
  /**
   * A generated input file, cached under `outDir/data/` by its spec; generated on first use
   * (in `prepare`, so generation never counts towards a measurement).
   */
  dataFile(spec: SampleSpec): Promise<DataFile>;
  /** A scratch directory for this scenario, emptied before the run. */
  scratchDir(): Promise<string>;
  /** Progress or notes on stderr (not part of the report). */
  log(message: string): void;
}

export interface DataFile {
  readonly path: string;
  readonly bytes: number;
  readonly truth: GroundTruth;
}

/** What a scenario's `run` measured. */
export interface ScenarioResult {
  /** Records processed. */
  readonly records: number;
  /** Wall-clock seconds of the measured work only (not setup, not data generation). */
  readonly seconds: number;
  /** Further figures for the report: bytes, requests, rows, anything worth comparing. */
  readonly extra?: Readonly<Record<string, number | string>>;
  /**
   * Peak RSS of the process that did the measured work, when that is not the scenario's own
   * (a command it spawned); the harness reports this instead of its child's.
   */
  readonly peakRssMb?: number;
}

/** Returned by `run` when the component measured is not built yet: reported, not a failure. */
export interface ScenarioUnavailable {
  readonly unavailable: string;
}

export interface ScenarioTargets {
  /** Records/s must be at least this fraction of the baseline's records/s. */
  readonly minRatio?: number;
  /** Peak RSS of the scenario's process must stay under this many MB. */
  readonly maxRssMb?: number;
  /** Records/s must be at least this many (an absolute floor, for what users wait on). */
  readonly minRecordsPerSecond?: number;
  /** Milliseconds per MB of gzip input (the result's `extra.msPerGzipMB`) must stay at or under this. */
  readonly maxMsPerGzipMb?: number;
  /** The 99th percentile request latency (the result's `extra.p99Ms`) must stay under this. */
  readonly maxP99Ms?: number;
  /** The slowest /healthz answer (the result's `extra.worstHealthzMs`) must stay under this. */
  readonly maxHealthzMs?: number;
}

/** A second comparison in the same run: records/s ÷ that scenario's records/s must reach minRatio. */
export interface ScenarioVersus {
  readonly scenario: string;
  readonly minRatio: number;
}

export interface Scenario {
  /** Unique, kebab-case: selected with `npm run bench -- <name...>`. */
  readonly name: string;
  readonly description: string;
  /** Name of the scenario whose records/s this one is compared with; run first, in the same run. */
  readonly baseline?: string;
  readonly targets?: ScenarioTargets;
  /** Another scenario (run first, in the same run) this one must be some multiple of. */
  readonly versus?: ScenarioVersus;
  /** Not run unless named (or `--all`): for slow, large-scale scenarios. */
  readonly optIn?: boolean;
  /** Runs in its own child process before `run`: create data files, start servers' fixtures. */
  prepare?(ctx: BenchContext): Promise<void>;
  /** Runs in a fresh child process; measures and returns its figures. */
  run(ctx: BenchContext): Promise<ScenarioResult | ScenarioUnavailable>;
}

/** One line of the report, as written to bench/out/report.json. */
export interface ScenarioReport {
  readonly name: string;
  readonly description: string;
  readonly status: 'ok' | 'unavailable' | 'failed';
  readonly note?: string;
  readonly records?: number;
  readonly seconds?: number;
  readonly recordsPerSecond?: number;
  readonly baseline?: string;
  /** records/s ÷ the baseline's records/s in this run. */
  readonly ratio?: number;
  readonly peakRssMb?: number;
  readonly targets?: ScenarioTargets;
  /** records/s ÷ the `versus` scenario's records/s in this run, and which scenario that is. */
  readonly versusRatio?: number;
  readonly versus?: string;
  /** Whether each target was met: `ratio`, `rss`, `rate`, `versus`. */
  readonly met?: Readonly<Record<string, boolean>>;
  readonly extra?: Readonly<Record<string, number | string>>;
}
