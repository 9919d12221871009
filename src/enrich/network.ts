import type { FlowBatch, StrColumn } from '../batch/flow-batch.js';
import type { Enricher } from '../pipeline/types.js';
import { type AddressTable, addressTable } from './addresses.js';
import { classifyAddress, FLOW_CLASSES, flowClassCode, NETWORK_CLASSES } from './network-class.js';

const tableClasses = new WeakMap<AddressTable, Uint8Array>();

/** The class code of every distinct address of a batch (computed once per batch, shared with geo). */
export function addressClasses(batch: FlowBatch): { table: AddressTable; classes: Uint8Array } {
  const table = addressTable(batch);
  let classes = tableClasses.get(table);
  if (!classes) {
    classes = new Uint8Array(table.values.length);
    for (let id = 1; id < table.values.length; id++) classes[id] = classifyAddress(table.values[id]!);
    tableClasses.set(table, classes);
  }
  return { table, classes };
}

/** flow_class codes by `src class * 16 + dst class`: one array lookup per row. */
const FLOW_CODES = Uint8Array.from({ length: 256 }, (_, k) =>
  k >>> 4 < NETWORK_CLASSES.length && (k & 15) < NETWORK_CLASSES.length ? flowClassCode(k >>> 4, k & 15) : 0,
);

/**
 * `src_network_class`, `dst_network_class` of the original endpoints and the `flow_class`
 * they imply (internal, inbound, outbound, external).
 */
export function networkEnricher(): Enricher {
  return {
    name: 'network',
    columns: ['src_network_class', 'dst_network_class', 'flow_class'],
    enrich(batch: FlowBatch): void {
      const { table, classes } = addressClasses(batch);
      const n = batch.length;
      const src = new Uint32Array(n);
      const dst = new Uint32Array(n);
      const flow = new Uint32Array(n);
      const { srcIds, dstIds } = table;
      for (let i = 0; i < n; i++) {
        const s = classes[srcIds[i]!]!;
        const d = classes[dstIds[i]!]!;
        src[i] = s;
        dst[i] = d;
        flow[i] = FLOW_CODES[(s << 4) | d]!;
      }
      batch.extra.set('src_network_class', strColumn(src, NETWORK_CLASSES));
      batch.extra.set('dst_network_class', strColumn(dst, NETWORK_CLASSES));
      batch.extra.set('flow_class', strColumn(flow, FLOW_CLASSES));
    },
  };
}

function strColumn(codes: Uint32Array, dict: readonly string[]): StrColumn {
  return { kind: 'str', codes, dict };
}
