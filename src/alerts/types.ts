/** Shapes shared by the detection engine, its rules and its outputs. */
import { ConfigError } from '../config/options.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What a rule is, as `flowlens alerts list` prints it and every alert repeats it. */
export interface RuleInfo {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** MITRE ATT&CK technique id (T1046, T1071.004 …). */
  readonly mitre: string;
  /** What the alert is grouped by, e.g. `src, dst`. */
  readonly groupBy: readonly string[];
  /** Tumbling window length in seconds of record time. */
  readonly windowSeconds: number;
  /** The settings the rule runs with, for listing and for `details`. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Where the rule can evaluate: in one stream of records, or only over the store. */
  readonly scope: 'stream' | 'store';
}

/**
 * One alert, as written to stdout, webhooks and the store: one grouped, deduplicated event per
 * rule and key; repeats within the cooldown update it instead of firing again.
 */
export interface Alert {
  readonly id: string;
  readonly rule: string;
  readonly title: string;
  readonly severity: Severity;
  readonly mitre: string;
  /** The grouping value: the group parts joined by `|`, e.g. `45.155.205.17|10.16.0.12`. */
  readonly key: string;
  /** ISO 8601, UTC: the earliest `start` and latest `end` of the records it covers. */
  first_seen: string;
  last_seen: string;
  count: number;
  bytes: number;
  packets: number;
  /** record_uid of a few of the records (the same uid the store and the uid enricher give). */
  sample_uids: string[];
  details: AlertDetails;
}

export interface AlertDetails {
  /** The key's parts by name (`src`, `dst`, `dstport` …). */
  group: Record<string, string>;
  /** What was measured against the threshold (`count`, `bytes`, `distinct dstport` …). */
  measure: string;
  /** Its value in the window that fired, and the threshold it reached. */
  value: number;
  threshold: number;
  window_seconds: number;
  /** Windows folded into this alert (1 when it fired; more as repeats in the cooldown update it). */
  windows: number;
  [extra: string]: unknown;
}

/** A group whose window reached its rule's threshold: the raw material of an alert. */
export interface Hit {
  readonly rule: RuleInfo;
  readonly key: string;
  readonly group: Record<string, string>;
  /** Unix seconds. */
  readonly first: number;
  readonly last: number;
  readonly count: number;
  readonly bytes: number;
  readonly packets: number;
  readonly sampleUids: readonly string[];
  readonly measure: string;
  readonly value: number;
  readonly threshold: number;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** Thrown for a rule that cannot run: names the rule and the reason. */
export class RuleError extends ConfigError {
  override name = 'RuleError';
  constructor(
    readonly rule: string,
    reason: string,
  ) {
    super(`alert rule "${rule}": ${reason}`);
  }
}
