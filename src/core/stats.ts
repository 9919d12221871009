/** Counts of one run, shared by every stage; the CLI prints it as the one-line summary. */

export interface Problem {
  /** The input: file path, s3:// URI, stream name. */
  readonly source: string;
  /** 1-based line number for text, byte offset for binary damage, record index otherwise. */
  readonly line?: number;
  readonly offset?: number;
  readonly message: string;
  /** The start of the offending line, for malformed samples. */
  readonly sample?: string;
}

const MAX_SAMPLES = 10;

/** The counts of part of a run (one record, a segment parsed on another thread), to add up. */
export interface StatsPart {
  readonly files?: number;
  readonly records: number;
  readonly nodata: number;
  readonly skipdata: number;
  readonly control?: number;
  readonly bytesIn?: number;
  readonly malformed: number;
  readonly malformedSamples: readonly Problem[];
  readonly errors?: readonly Problem[];
  readonly warnings: readonly string[];
}

export class RunStats {
  files = 0;
  records = 0;
  nodata = 0;
  skipdata = 0;
  /** CloudWatch CONTROL_MESSAGE payloads skipped. */
  control = 0;
  malformed = 0;
  bytesIn = 0;
  readonly malformedSamples: Problem[] = [];
  /** Inputs that could not be read or decoded to the end. */
  readonly errors: Problem[] = [];
  readonly warnings: string[] = [];
  private readonly warned = new Set<string>();

  /** One problem losing `count` records (a damaged payload loses every event it holds). */
  addMalformed(problem: Problem, count = 1): void {
    this.malformed += count;
    if (this.malformedSamples.length < MAX_SAMPLES) this.malformedSamples.push(problem);
  }

  /** Adds a part's counts; its samples join ours up to the limit. */
  merge(part: StatsPart): void {
    this.files += part.files ?? 0;
    this.records += part.records;
    this.nodata += part.nodata;
    this.skipdata += part.skipdata;
    this.control += part.control ?? 0;
    this.bytesIn += part.bytesIn ?? 0;
    for (const m of part.malformedSamples) this.addMalformed(m);
    this.malformed += part.malformed - part.malformedSamples.length;
    for (const e of part.errors ?? []) this.addError(e);
    for (const w of part.warnings) this.warn(w);
  }

  addError(problem: Problem): void {
    this.errors.push(problem);
  }

  /** Records a warning once per distinct text. */
  warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.warnings.push(message);
  }

  toJSON(): Record<string, unknown> {
    return {
      files: this.files,
      records: this.records,
      nodata: this.nodata,
      skipdata: this.skipdata,
      control: this.control,
      malformed: this.malformed,
      errors: this.errors,
      malformed_samples: this.malformedSamples,
      ...(this.warnings.length ? { warnings: this.warnings } : {}),
    };
  }
}
