import type { FlowBatch, StrColumn } from '../batch/flow-batch.js';
import type { Enricher } from '../core/types.js';
import { type AddressTable, addressTable } from './addresses.js';
import { FLOW_CLASSES, flowClassCode, NETWORK_CLASSES } from './network-class.js';
import { RowSpread } from './row-spread.js';

/** What is known of each distinct address of a batch, by address table id. */
export interface AddressClasses {
  readonly table: AddressTable;
  /** Class codes (NC). */
  readonly classes: Uint8Array;
  /** The IPv4 address as a number, or -1 when the address is not IPv4. */
  readonly ipv4: Float64Array;
}

const tableClasses = new WeakMap<AddressTable, AddressClasses>();

/** The class of every distinct address of a batch (the table carries them), shared with geo. */
export function addressClasses(batch: FlowBatch): AddressClasses {
  const table = addressTable(batch);
  let known = tableClasses.get(table);
  if (!known) {
    const ids = table.values.length;
    const ipv4 = new Float64Array(ids).fill(-1);
    for (let id = 1; id < ids; id++) if (table.family[id] === 4) ipv4[id] = table.words[4 * id]!;
    known = { table, classes: table.classes, ipv4 };
    tableClasses.set(table, known);
  }
  return known;
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
  const spreader = new RowSpread();
  return {
    name: 'network',
    columns: ['src_network_class', 'dst_network_class', 'flow_class'],
    enrich(batch: FlowBatch): void {
      const table = addressTable(batch);
      const [src, dst, flow] = spreader.classes(table, table.classes, FLOW_CODES, batch.length);
      batch.extra.set('src_network_class', strColumn(src, NETWORK_CLASSES));
      batch.extra.set('dst_network_class', strColumn(dst, NETWORK_CLASSES));
      batch.extra.set('flow_class', strColumn(flow, FLOW_CLASSES));
    },
  };
}

function strColumn(codes: Uint32Array, dict: readonly string[]): StrColumn {
  return { kind: 'str', codes, dict };
}
