import type { ScenarioTruth } from './attacks.js';

/** Public types of the flow-log generator (`flowlens generate` and its programmatic API). */

/** Field sets AWS has published: every field of that version and the earlier ones; `tgw` = Transit Gateway. */
export const GENERATE_VERSIONS = ['2', '3', '4', '5', 'tgw', '7', '8', '11'] as const;
export type GenerateVersion = (typeof GENERATE_VERSIONS)[number];

/** What is written: S3 text objects, CloudWatch Logs subscription payloads, or AWS's Parquet layout. */
export type GenerateOutput = 'text' | 'cloudwatch' | 'parquet';

export interface GenerateOptions {
  /** Record lines to produce, malformed ones included (headers and control messages are not records). Default 10,000. */
  readonly records?: number;
  /** Field set by version. Default '2' (the default format). Ignored when `format` is given. */
  readonly version?: GenerateVersion;
  /** Any field list: `${version} ${srcaddr} …` or plain names in either spelling. */
  readonly format?: string;
  /** Same seed, same bytes. Default 1. */
  readonly seed?: number;
  /** Text: write the header line first. Default true (as AWS writes S3 objects). Not used by cloudwatch/parquet. */
  readonly header?: boolean;
  /** Fraction (0..1) of record lines made malformed; text and cloudwatch only. Default 0. */
  readonly malformedRate?: number;
  /** Default 'text'. */
  readonly output?: GenerateOutput;
  /** gzip the text/cloudwatch output. Default false (writeSample: true when the path ends in `.gz`). */
  readonly gzip?: boolean;
  /** CloudWatch: start with a CONTROL_MESSAGE payload. Default false. */
  readonly cloudwatchControl?: boolean;
  /** CloudWatch: log events per payload at most. Default 100. */
  readonly eventsPerPayload?: number;
  /** Unix seconds of the first aggregation window. Default 1780272000 (2026-06-01T00:00:00Z). */
  readonly startTime?: number;
  /** Aggregation interval in seconds: 60 or 600. Default 600. */
  readonly interval?: 60 | 600;
  /** Parquet: rows per row group. Default 65,536. */
  readonly rowGroupSize?: number;
  /**
   * Background traffic without what the detection rules look for (no internet scanners, no
   * SKIPDATA, DNS through the VPC resolver, SSH from private addresses). Default false.
   */
  readonly clean?: boolean;
  /** Inject labelled attack scenarios into clean background; the truth lists them. Default false. */
  readonly attacks?: boolean;
}

/** A generated file's spec, as `writeSample` and the bench harness take it. */
export type SampleSpec = GenerateOptions;

/** Totals of one action over the well-formed OK records. */
export interface ActionTotals {
  records: number;
  bytes: number;
  packets: number;
}

/**
 * What the generator produced, for tests to check a decoder or a sink against.
 * records = ok + nodata + skipdata + malformed. Byte and packet sums cover OK records only
 * (NODATA/SKIPDATA carry none; malformed lines are not counted).
 */
export interface GroundTruth {
  seed: number;
  output: GenerateOutput;
  /** Hyphenated field names in output order. */
  fields: string[];
  /** Value of the `version` field in the records (the highest version among the fields). */
  version: number;
  header: boolean;
  records: number;
  ok: number;
  nodata: number;
  skipdata: number;
  malformed: number;
  accept: ActionTotals;
  reject: ActionTotals;
  /** Totals over both actions. */
  bytes: number;
  packets: number;
  /** Text lines written, header included (text and cloudwatch; 0 for parquet). */
  lines: number;
  /** CloudWatch: DATA_MESSAGE payloads, and CONTROL_MESSAGE payloads (0 or 1). */
  payloads: number;
  control: number;
  /** Parquet: row groups written. */
  rowGroups: number;
  /** Distinct ENIs with records (CloudWatch: one log stream each). */
  interfaces: number;
  /** Smallest `start` and largest `end` over the records, Unix seconds. */
  firstStart: number;
  lastEnd: number;
  /** With `attacks`: each injected scenario with the rule and key that must fire, in run order. */
  scenarios?: ScenarioTruth[];
}
