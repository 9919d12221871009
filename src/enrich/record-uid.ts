import { hash } from 'node:crypto';
import type { FlowBatch } from '../batch/flow-batch.js';
import type { Enricher } from '../pipeline/types.js';

/**
 * `record_uid`: 32 lower-case hex digits (128 bits), the same for the same record on every run.
 * The first 16 digits are the first 64 bits of SHA-1 of the source id (file path, s3://bucket/key,
 * cwl:group/stream…), hashed once per batch. The last 16 digits are the record's position in its
 * source (line number or event index) in hex, or, where the source has native record ids
 * (CloudWatch Logs event ids), the first 64 bits of SHA-1 of that id.
 */
export function recordUid(sourceId: string, position: number, recordId?: string): string {
  return sourcePrefix(sourceId) + (recordId ? idPart(recordId) : positionPart(position));
}

function sourcePrefix(sourceId: string): string {
  return hash('sha1', sourceId, 'hex').slice(0, 16);
}

function idPart(recordId: string): string {
  return hash('sha1', recordId, 'hex').slice(0, 16);
}

let hex4: string[] | undefined;

/** 4-digit hex of every 16-bit value, built on first use: two lookups per uid instead of toString+padStart. */
function hexTable(): string[] {
  hex4 ??= Array.from({ length: 65536 }, (_, i) => i.toString(16).padStart(4, '0'));
  return hex4;
}

/** The low 32 bits of a position as 8 hex digits. */
function low8(p: number): string {
  const h = hexTable();
  return h[p >>> 16]! + h[p & 0xffff]!;
}

function positionPart(position: number): string {
  // Positions are whole numbers below 2^53: split into two 32-bit halves for an exact hex form.
  const p = Math.max(0, Math.trunc(position));
  const hi = Math.floor(p / 0x1_0000_0000);
  const lo = p - hi * 0x1_0000_0000;
  return low8(hi) + low8(lo);
}

export function recordUidEnricher(): Enricher {
  return {
    name: 'uid',
    columns: ['record_uid'],
    enrich(batch: FlowBatch): void {
      const prefix = sourcePrefix(batch.source.id);
      const prefixZero = `${prefix}00000000`;
      const positions = batch.positions;
      // Every uid is distinct, so the dictionary is simply row order: code i + 1.
      const codes = new Uint32Array(batch.length);
      const dict: string[] = new Array(batch.length + 1);
      dict[0] = '';
      const ids = batch.recordIds;
      for (let i = 0; i < batch.length; i++) {
        const id = ids?.[i];
        const p = positions[i]!;
        if (id) dict[i + 1] = prefix + idPart(id);
        // The common case, a position below 2^32 that is a whole number: the high half is zeros.
        else if (p >= 0 && p < 0x1_0000_0000 && p === Math.floor(p)) dict[i + 1] = prefixZero + low8(p);
        else dict[i + 1] = prefix + positionPart(p);
        codes[i] = i + 1;
      }
      batch.extra.set('record_uid', { kind: 'str', codes, dict });
    },
  };
}
