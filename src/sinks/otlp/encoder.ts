import type { FlowBatch } from '../../batch/flow-batch.js';
import type { AttributeWriter, OtelMapping } from '../../schema/types.js';

/** One attribute of a resource, kept as a value so user-set attributes can override mapped ones. */
export type AttributeValue =
  | { readonly kind: 'str'; readonly value: string }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'dbl'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'strArray'; readonly value: readonly string[] };

/** Collects attributes into a map (once per resource, never per record). */
export class AttributeCollector implements AttributeWriter {
  readonly entries = new Map<string, AttributeValue>();
  str(key: string, value: string): void {
    this.entries.set(key, { kind: 'str', value });
  }
  int(key: string, value: number): void {
    this.entries.set(key, { kind: 'int', value });
  }
  dbl(key: string, value: number): void {
    this.entries.set(key, { kind: 'dbl', value });
  }
  bool(key: string, value: boolean): void {
    this.entries.set(key, { kind: 'bool', value });
  }
  strArray(key: string, values: readonly string[]): void {
    this.entries.set(key, { kind: 'strArray', value: values });
  }
}

/** Replays collected attributes into another writer. */
export function replayAttributes(entries: ReadonlyMap<string, AttributeValue>, out: AttributeWriter): void {
  for (const [key, a] of entries) {
    switch (a.kind) {
      case 'str':
        out.str(key, a.value);
        break;
      case 'int':
        out.int(key, a.value);
        break;
      case 'dbl':
        out.dbl(key, a.value);
        break;
      case 'bool':
        out.bool(key, a.value);
        break;
      default:
        out.strArray(key, a.value);
    }
  }
}

/** The resource of a group of records: the mapping's attributes with the user's on top. */
export function resourceAttributes(
  mapping: OtelMapping,
  batch: FlowBatch,
  row: number,
  user: ReadonlyMap<string, string>,
): Map<string, AttributeValue> {
  const c = new AttributeCollector();
  mapping.resource(batch, row, c);
  for (const [k, v] of user) c.entries.set(k, { kind: 'str', value: v });
  return c.entries;
}

export interface ScopeInfo {
  readonly name: string;
  readonly version: string;
}

/**
 * Builds one OTLP export request body at a time (protobuf or JSON). The sink drives it:
 * begin → (openResource → record… → closeResource)… → finish. `size` is the bytes so far,
 * for cutting requests by size.
 */
export interface RequestEncoder {
  /** Starts a request in `buffer` (from the sink's pool; the encoder may outgrow it). */
  begin(observedSeconds: number, buffer: Buffer): void;
  openResource(resourceKey: string, attributes: () => Map<string, AttributeValue>): void;
  record(batch: FlowBatch, i: number): void;
  /**
   * Records for rows[from…] until `size` reaches `limit` (the record crossing it included) or
   * the rows end; returns the index after the last row written (at least from + 1). Optional:
   * an encoder without it gets `record` per row.
   */
  records?(batch: FlowBatch, rows: Int32Array, from: number, limit: number): number;
  /**
   * Adds `count` records encoded beforehand (ScopeLogs.log_records fields, as the line
   * transcoder writes them) to the open resource group. Protobuf encoders only.
   */
  appendRecords?(bytes: Uint8Array, count: number): void;
  /** Closes the open resource group; drops it when it holds no record. */
  closeResource(): void;
  readonly size: number;
  /** The finished body, and the buffer holding it to give back to the pool once sent. */
  finish(): { readonly body: Uint8Array; readonly buffer: Buffer };
}
