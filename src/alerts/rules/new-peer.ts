import { grown } from '../../batch/grown.js';
import { CodeTable } from '../code-table.js';
import type { RuleInfo } from '../types.js';
import type { BatchView } from '../view.js';
import type { BuildContext } from './builtin.js';
import { GroupRule, type RowSelector } from './group-rule.js';
import { INTERFACE, type KeyPart, numberText, stableStrings } from './parts.js';
import type { StreamRule } from './rule.js';

/** What identifies an external peer: its country (geo enricher) or its AS number (ASN lookup). */
export type PeerKind = 'country' | 'asn';

/**
 * Per row, a code of the external peer of accepted client-side egress (a local source opening a
 * connection to a public destination): the destination's country, interned, or its AS number;
 * 0 for other rows and peers without one. Made once per batch.
 */
function peerCodes(v: BatchView, kind: PeerKind): { codes: Float64Array | Uint32Array; epoch: number } {
  return v.memo(`peer:${kind}`, () => {
    if (kind === 'asn') {
      const col = v.batch.column('dst_asn');
      const out = new Float64Array(v.n);
      if (col?.kind === 'num') asnCodes(v.egressClients(), col.values, out);
      return { codes: out, epoch: 0 };
    }
    const out = new Uint32Array(v.n);
    if (v.str('dst_country') === null) return { codes: out, epoch: 0 };
    const s = stableStrings(v, 'dst_country');
    countryCodes(v.egressClients(), s.codes, out);
    return { codes: out, epoch: s.epoch };
  });
}

/** The AS numbers of the rows `clients` lists into `out` (NaN, no number: left 0). */
function asnCodes(clients: Uint32Array, asn: Float64Array, out: Float64Array): void {
  for (let k = 0; k < clients.length; k++) {
    const i = clients[k]!;
    const x = asn[i]!;
    if (!Number.isNaN(x)) out[i] = x;
  }
}

/** The interned countries of the rows `clients` lists into `out`. */
function countryCodes(clients: Uint32Array, country: Uint32Array, out: Uint32Array): void {
  for (let k = 0; k < clients.length; k++) {
    const i = clients[k]!;
    out[i] = country[i]!;
  }
}

function peerPart(kind: PeerKind): KeyPart {
  return {
    name: kind,
    bits: kind === 'asn' ? 32 : 22,
    codes: (v) => peerCodes(v, kind).codes,
    epoch: (v) => peerCodes(v, kind).epoch,
    value: (v, i) => {
      if (kind === 'asn') {
        const col = v.batch.column('dst_asn');
        return col && col.kind === 'num' ? col.values[i]! : Number.NaN;
      }
      const col = v.str('dst_country');
      return col === null ? '' : (col.dict[col.codes[i]!] ?? '');
    },
    text: kind === 'asn' ? numberText : (value) => (value === '' ? '-' : String(value)),
  };
}

const KNOWN = 1;
const NEW = 2;

/** Peers remembered over all interfaces of one rule (a few tens of MB at most). */
const MAX_LEARNED = 1_000_000;

/** One interface's learning state: the end of its learning period and the peers it met. */
interface Learned {
  readonly until: number;
  readonly peers: Set<string>;
  /** It met more than `maxPeers` peers while learning: too many to call any one new. */
  saturated: boolean;
}

/**
 * New external peer (a country or an AS): during its learning period (record time from its
 * first record) every interface's egress peers are remembered; afterwards accepted client-side
 * egress to a peer not remembered for that interface is grouped by interface and peer. Memory:
 * at most `maxPeers` peers per interface and MAX_LEARNED over all, for at most `maxGroups`
 * interfaces; an interface that meets more peers than that while learning (or when the total is
 * reached) stops learning and raises nothing. Needs the geo
 * enricher's `dst_country` or `dst_asn`.
 */
export function newPeerRule(
  kind: PeerKind,
  info: RuleInfo,
  context: BuildContext,
  settings: { learningSeconds: number; threshold: number; maxPeers: number },
): StreamRule {
  const known = new Map<string, Learned>();
  /** Peers remembered over every interface: at most MAX_LEARNED. */
  let learned = 0;
  const part = peerPart(kind);
  /**
   * Verdicts by (interface, peer) code pair, kept across batches while the codes' epochs hold:
   * KNOWN once the peer is in the interface's set (or the interface is saturated), NEW once the
   * interface's learning ended without it; so a row costs one table lookup.
   */
  const verdicts = new CodeTable(1024);
  /** End of learning by stable interface code (NaN: not looked up yet in this epoch). */
  let until = new Float64Array(256).fill(Number.NaN);
  let epochs: readonly number[] = [];
  const select: RowSelector = (v, rows) => {
    const iface = v.str('interface_id');
    if (iface === null) return 0;
    const ifaces = stableStrings(v, 'interface_id');
    const peers = part.codes(v);
    const now = [ifaces.epoch, part.epoch(v)];
    if (now[0] !== epochs[0] || now[1] !== epochs[1]) {
      verdicts.clear();
      until.fill(Number.NaN);
      epochs = now;
    }
    const time = v.time;
    const stable = ifaces.codes;
    // only accepted client-side egress has a peer code
    const clients = v.egressClients();
    let m = 0;
    for (let k = 0; k < clients.length; k++) {
      const i = clients[k]!;
      const peer = peers[i]!;
      if (peer === 0) continue;
      const sc = stable[i]!;
      const t = time[i]!;
      if (sc === 0 || Number.isNaN(t)) continue;
      // a stable interface code (< 2^21) and the peer's (< 2^32): exact in a double
      const pair = sc * 2 ** 32 + peer;
      const verdict = verdicts.get(pair);
      if (verdict === KNOWN) continue;
      if (verdict === NEW && t >= until[sc]!) {
        rows[m++] = i;
        continue;
      }
      const name = iface.dict[iface.codes[i]!]!;
      let state = known.get(name);
      if (!state) {
        if (known.size >= context.maxGroups) continue;
        state = { until: t + settings.learningSeconds, peers: new Set(), saturated: false };
        known.set(name, state);
      }
      if (sc >= until.length) until = grown(until, Math.max(sc + 1, until.length * 2), Number.NaN);
      until[sc] = state.until;
      const text = part.text(part.value(v, i));
      if (t < state.until) {
        if (!state.saturated && !state.peers.has(text)) {
          if (state.peers.size >= settings.maxPeers || learned >= MAX_LEARNED) {
            state.saturated = true;
            learned -= state.peers.size;
            state.peers.clear();
          } else {
            state.peers.add(text);
            learned++;
          }
        }
        verdicts.set(pair, KNOWN);
        continue;
      }
      const isNew = !state.saturated && !state.peers.has(text);
      verdicts.set(pair, isNew ? NEW : KNOWN);
      if (isNew) rows[m++] = i;
    }
    return m;
  };
  return new GroupRule({
    info,
    select,
    key: [INTERFACE, part],
    measure: { kind: 'count' },
    threshold: settings.threshold,
    maxGroups: context.maxGroups,
  });
}
