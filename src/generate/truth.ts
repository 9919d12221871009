import type { FieldDef } from '../fields/catalog.js';
import { F, type FlowRecord, RecordStatus } from './record.js';
import type { GenerateOutput, GroundTruth } from './types.js';

export function emptyTruth(
  seed: number,
  output: GenerateOutput,
  fields: readonly FieldDef[],
  version: number,
  header: boolean,
): GroundTruth {
  return {
    seed,
    output,
    fields: fields.map((f) => f.name),
    version,
    header,
    records: 0,
    ok: 0,
    nodata: 0,
    skipdata: 0,
    malformed: 0,
    accept: { records: 0, bytes: 0, packets: 0 },
    reject: { records: 0, bytes: 0, packets: 0 },
    bytes: 0,
    packets: 0,
    lines: 0,
    payloads: 0,
    control: 0,
    rowGroups: 0,
    interfaces: 0,
    firstStart: 0,
    lastEnd: 0,
  };
}

/** Adds one record to the truth: counted as malformed, or by status and action. */
export class TruthCounter {
  private readonly streams = new Set<string>();

  constructor(readonly truth: GroundTruth) {}

  add(rec: FlowRecord, malformed: boolean): void {
    const t = this.truth;
    t.records++;
    this.streams.add(rec.stream);
    if (malformed) {
      t.malformed++;
      return;
    }
    const start = rec.num[F.start]!;
    const end = rec.num[F.end]!;
    if (t.firstStart === 0 || start < t.firstStart) t.firstStart = start;
    if (end > t.lastEnd) t.lastEnd = end;
    if (rec.status === RecordStatus.NoData) {
      t.nodata++;
      return;
    }
    if (rec.status === RecordStatus.SkipData) {
      t.skipdata++;
      return;
    }
    t.ok++;
    const bytes = rec.num[F.bytes]!;
    const packets = rec.num[F.packets]!;
    const a = rec.accept ? t.accept : t.reject;
    a.records++;
    a.bytes += bytes;
    a.packets += packets;
    t.bytes += bytes;
    t.packets += packets;
  }

  finish(): GroundTruth {
    this.truth.interfaces = this.streams.size;
    return this.truth;
  }
}
