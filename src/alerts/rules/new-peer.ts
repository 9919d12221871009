import { CodeTable } from '../code-table.js';
import type { RuleInfo } from '../types.js';
import { ACTION_ACCEPT, type BatchView } from '../view.js';
import type { BuildContext } from './builtin.js';
import { GroupRule, type RowSelector } from './group-rule.js';
import { INTERFACE, type KeyPart, numberText, stableStrings } from './parts.js';
import type { StreamRule } from './rule.js';

/** What identifies an external peer: its country (geo enricher) or its AS number (ASN lookup). */
export type PeerKind = 'country' | 'asn';

/**
 * Per row, a code of the external peer of egress (a local source talking to a public
 * destination): the destination's country, interned, or its AS number; 0 for other rows and
 * peers without one. Made once per batch.
 */
function peerCodes(v: BatchView, kind: PeerKind): { codes: Float64Array | Uint32Array; epoch: number } {
  return v.memo(`peer:${kind}`, () => {
    const out = kind === 'asn' ? new Float64Array(v.n) : new Uint32Array(v.n);
    let epoch = 0;
    let values: ArrayLike<number> | null = null;
    if (kind === 'country') {
      if (v.str('dst_country') !== null) {
        const s = stableStrings(v, 'dst_country');
        values = s.codes;
        epoch = s.epoch;
      }
    } else {
      const col = v.batch.column('dst_asn');
      values = col && col.kind === 'num' ? col.values : null;
    }
    if (values === null) return { codes: out, epoch };
    const { srcId, dstId, localId, publicId } = v;
    for (let i = 0; i < v.n; i++) {
      if (localId[srcId[i]!] !== 1 || publicId[dstId[i]!] !== 1) continue;
      const x = values[i]!;
      if (!Number.isNaN(x)) out[i] = x;
    }
    return { codes: out, epoch };
  });
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
 * at most `maxPeers` peers per interface, for at most `maxGroups` interfaces; an interface that
 * meets more peers than that while learning stops learning and raises nothing. Needs the geo
 * enricher's `dst_country` or `dst_asn`.
 */
export function newPeerRule(
  kind: PeerKind,
  info: RuleInfo,
  context: BuildContext,
  settings: { learningSeconds: number; threshold: number; maxPeers: number },
): StreamRule {
  const known = new Map<string, Learned>();
  const part = peerPart(kind);
  const select: RowSelector = (v, rows) => {
    const iface = v.str('interface_id');
    if (iface === null) return 0;
    const peers = part.codes(v);
    /** Per (interface, peer) code pair: 1 known, 2 new; decided once per batch after learning. */
    const verdicts = new CodeTable();
    const { action, forward, time } = v;
    let m = 0;
    for (let i = 0; i < v.n; i++) {
      const peer = peers[i]!;
      if (peer === 0 || action[i] !== ACTION_ACCEPT || forward[i] !== 1) continue;
      const ic = iface.codes[i]!;
      const t = time[i]!;
      if (ic === 0 || Number.isNaN(t)) continue;
      // the batch's interface code (< 2^21) and the peer's (< 2^32): exact in a double
      const pair = ic * 2 ** 32 + peer;
      let verdict = verdicts.get(pair);
      if (verdict < 0) {
        const name = iface.dict[ic]!;
        let state = known.get(name);
        if (!state) {
          if (known.size >= context.maxGroups) continue;
          state = { until: t + settings.learningSeconds, peers: new Set(), saturated: false };
          known.set(name, state);
        }
        const text = part.text(part.value(v, i));
        if (t < state.until) {
          if (state.saturated || state.peers.has(text)) continue;
          if (state.peers.size >= settings.maxPeers) {
            state.saturated = true;
            state.peers.clear();
          } else state.peers.add(text);
          continue;
        }
        verdict = state.saturated || state.peers.has(text) ? 1 : 2;
        verdicts.set(pair, verdict);
      }
      if (verdict === 2) rows[m++] = i;
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
