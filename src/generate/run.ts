import { FIELDS, type FieldDef } from '../fields/catalog.js';
import { AttackInjector } from './attacks.js';
import { generateFields, versionValue } from './fieldsets.js';
import { LineFormatter, malformLine } from './line.js';
import { Rng } from './random.js';
import { FlowRecord } from './record.js';
import { buildTopology, type Topology } from './topology.js';
import { TrafficModel } from './traffic.js';
import { emptyTruth, TruthCounter } from './truth.js';
import type { GenerateOptions, GenerateOutput, GroundTruth } from './types.js';

export const DEFAULT_START_TIME = 1780272000; // 2026-06-01T00:00:00Z
export const DEFAULT_RECORDS = 10_000;

/** Validated, defaulted generator settings. */
export interface GenerateSettings {
  readonly records: number;
  readonly fields: readonly FieldDef[];
  readonly version: number;
  readonly tgw: boolean;
  readonly seed: number;
  readonly header: boolean;
  readonly malformedRate: number;
  readonly output: GenerateOutput;
  readonly gzip: boolean;
  readonly cloudwatchControl: boolean;
  readonly eventsPerPayload: number;
  readonly startTime: number;
  readonly interval: 60 | 600;
  readonly rowGroupSize: number;
  /** Background without what the detection rules look for. */
  readonly clean: boolean;
  /** Labelled attack scenarios injected (implies `clean`). */
  readonly attacks: boolean;
}

export class GenerateError extends Error {
  override name = 'GenerateError';
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new GenerateError(message);
}

export function settingsOf(options: GenerateOptions): GenerateSettings {
  const records = options.records ?? DEFAULT_RECORDS;
  check(Number.isInteger(records) && records >= 0, `records: expected a whole number ≥ 0 (got ${records})`);
  const malformedRate = options.malformedRate ?? 0;
  check(malformedRate >= 0 && malformedRate <= 1, `malformed-rate: expected 0..1 (got ${malformedRate})`);
  const output = options.output ?? 'text';
  check(
    output !== 'parquet' || malformedRate === 0,
    'malformed-rate applies to text and CloudWatch output; Parquet columns are typed',
  );
  check(
    output !== 'parquet' || options.gzip !== true,
    'Parquet output compresses its own pages; drop gzip/.gz',
  );
  const interval = options.interval ?? 600;
  check(interval === 60 || interval === 600, `interval: expected 60 or 600 (got ${interval})`);
  const eventsPerPayload = options.eventsPerPayload ?? 100;
  check(
    Number.isInteger(eventsPerPayload) && eventsPerPayload >= 1,
    `events-per-payload: expected a whole number ≥ 1 (got ${eventsPerPayload})`,
  );
  const rowGroupSize = options.rowGroupSize ?? 65_536;
  check(
    Number.isInteger(rowGroupSize) && rowGroupSize >= 1,
    `row-group-size: expected ≥ 1 (got ${rowGroupSize})`,
  );
  const seed = options.seed ?? 1;
  check(Number.isInteger(seed), `seed: expected a whole number (got ${seed})`);
  const fields = generateFields(options);
  return {
    records,
    fields,
    version: versionValue(fields),
    tgw: options.format === undefined && options.version === 'tgw',
    seed,
    header: output === 'text' && (options.header ?? true),
    malformedRate,
    output,
    gzip: output !== 'parquet' && options.gzip === true,
    cloudwatchControl: options.cloudwatchControl === true,
    eventsPerPayload,
    startTime: options.startTime ?? DEFAULT_START_TIME,
    interval,
    rowGroupSize,
    clean: options.clean === true || options.attacks === true,
    attacks: options.attacks === true,
  };
}

/**
 * The state of one generator run: topology, traffic model, the reused record, the formatter,
 * and the ground truth being counted. Producers (text, CloudWatch, Parquet) drive it.
 */
export class GeneratorRun {
  readonly record = new FlowRecord();
  readonly topology: Topology;
  readonly formatter: LineFormatter;
  readonly counter: TruthCounter;
  private readonly model: TrafficModel;
  /** Separate stream for malformation, so the traffic is the same at any malformed rate. */
  private readonly faults: Rng;
  private produced = 0;
  private readonly attacks: AttackInjector | undefined;

  constructor(readonly settings: GenerateSettings) {
    const rng = new Rng(settings.seed);
    this.topology = buildTopology(rng);
    this.model = new TrafficModel(rng, this.topology, this.record, {
      startTime: settings.startTime,
      interval: settings.interval,
      versionValue: settings.version,
      tgw: settings.tgw,
      clean: settings.clean,
    });
    this.faults = new Rng(settings.seed ^ 0x5bd1e995);
    this.formatter = new LineFormatter(settings.fields);
    this.record.useSlots(
      settings.fields.map((f) => (f.known ? FIELDS.findIndex((c) => c.name === f.name) : -1)),
    );
    this.counter = new TruthCounter(
      emptyTruth(settings.seed, settings.output, settings.fields, settings.version, settings.header),
    );
    if (settings.attacks) {
      if (settings.tgw)
        throw new GenerateError('attacks: the scenarios are VPC records, not Transit Gateway ones');
      try {
        this.attacks = new AttackInjector(
          this.model,
          this.record,
          rng,
          this.topology,
          settings.records,
          settings.interval,
        );
      } catch (err) {
        throw new GenerateError((err as Error).message);
      }
      this.counter.truth.scenarios = this.attacks.truth;
    }
  }

  get truth(): GroundTruth {
    return this.counter.truth;
  }

  get done(): boolean {
    return this.produced >= this.settings.records;
  }

  /** Advances to the next record and counts it; returns false when the run is complete. */
  nextRecord(): boolean {
    if (this.produced >= this.settings.records) return false;
    this.produced++;
    if (!this.attacks?.fill(this.produced - 1)) this.model.next();
    return true;
  }

  /** The current record as a line: well-formed, or malformed at the configured rate (counted either way). */
  currentLine(): string {
    const line = this.formatter.format(this.record);
    const rate = this.settings.malformedRate;
    if (rate > 0 && this.faults.next() < rate) {
      this.counter.add(this.record, true);
      return malformLine(line, this.settings.fields.length, this.formatter.numericPositions, this.faults);
    }
    this.counter.add(this.record, false);
    return line;
  }
}
