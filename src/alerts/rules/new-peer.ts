import type { RuleInfo } from '../types.js';
import { ACTION_ACCEPT, type BatchView } from '../view.js';
import type { BuildContext } from './builtin.js';
import { GroupRule, type RowSelector } from './group-rule.js';
import { INTERFACE, type KeyPart } from './parts.js';
import type { StreamRule } from './rule.js';

/** Country codes of the peer side: the destination's for egress, the source's (+2^21) for inbound. */
const INBOUND = 2 ** 21;

function peerCode(v: BatchView, i: number): number {
  const src = v.srcId[i]!;
  const dst = v.dstId[i]!;
  if (v.localId[src] === 1 && v.publicId[dst] === 1) return v.str('dst_country')?.codes[i] ?? 0;
  if (v.publicId[src] === 1 && v.localId[dst] === 1) {
    const c = v.str('src_country')?.codes[i] ?? 0;
    return c === 0 ? 0 : INBOUND + c;
  }
  return 0;
}

const COUNTRY: KeyPart = {
  name: 'country',
  bits: 22,
  code: peerCode,
  text: (v, code) =>
    code >= INBOUND
      ? (v.str('src_country')?.dict[code - INBOUND] ?? '-')
      : (v.str('dst_country')?.dict[code] ?? '-'),
};

/**
 * New external peer country: during its learning period (record time from its first record)
 * every interface's peer countries are remembered; afterwards accepted traffic with
 * a country not remembered for that interface is grouped by interface and country. Memory: a
 * set of at most ~250 countries per interface, for at most `maxGroups` interfaces. Needs the geo
 * enricher's `src_country`/`dst_country`.
 */
export function peerCountryRule(
  info: RuleInfo,
  context: BuildContext,
  learningSeconds: number,
  threshold: number,
): StreamRule {
  /** Per interface: the end of its learning period (from its first record) and its countries. */
  const known = new Map<string, { until: number; countries: Set<string> }>();
  const select: RowSelector = (v, rows) => {
    if (v.str('dst_country') === null && v.str('src_country') === null) return 0;
    const iface = v.str('interface_id');
    if (iface === null) return 0;
    /** Per (interface code, peer code): 1 known, 2 new; decided once per batch after learning. */
    const verdicts = new Map<number, number>();
    let m = 0;
    for (let i = 0; i < v.n; i++) {
      if (v.action[i] !== ACTION_ACCEPT || v.forward[i] !== 1) continue;
      const peer = peerCode(v, i);
      if (peer === 0) continue;
      const ic = iface.codes[i]!;
      const t = v.time[i]!;
      if (ic === 0 || Number.isNaN(t)) continue;
      const pair = ic * 2 ** 23 + peer;
      let verdict = verdicts.get(pair);
      if (verdict === undefined) {
        const name = iface.dict[ic]!;
        let state = known.get(name);
        if (!state) {
          if (known.size >= context.maxGroups) continue;
          state = { until: t + learningSeconds, countries: new Set() };
          known.set(name, state);
        }
        const country = COUNTRY.text(v, peer);
        if (t < state.until) {
          state.countries.add(country);
          continue;
        }
        verdict = state.countries.has(country) ? 1 : 2;
        verdicts.set(pair, verdict);
      }
      if (verdict === 2) rows[m++] = i;
    }
    return m;
  };
  return new GroupRule({
    info,
    select,
    key: [INTERFACE, COUNTRY],
    measure: { kind: 'count' },
    threshold,
    maxGroups: context.maxGroups,
  });
}
