import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodeTable } from '../../src/alerts/code-table.js';
import { buildRules, parseAlertsConfig } from '../../src/alerts/config.js';
import { AlertEngine } from '../../src/alerts/engine.js';
import { DISTINCT_DST, DISTINCT_DSTPORT, distinctColumn } from '../../src/alerts/rules/parts.js';
import { BatchView } from '../../src/alerts/view.js';
import { makeBatch } from '../enrich/make-batch.js';

const V2 =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const V5 = `${V2} tcp-flags`;
const T0 = 1780272000;

describe('code table', () => {
  it('finds every key it was given, across growth, as a Map does (keys up to 2^53)', () => {
    const table = new CodeTable(4);
    const truth = new Map<number, number>();
    let seed = 7;
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (let k = 0; k < 20_000; k++) {
      // small keys, keys above 2^32 and keys near 2^53, with repeats
      const key =
        k % 3 === 0 ? next() % 500 : k % 3 === 1 ? next() * 2 ** 21 + next() : 2 ** 53 - 1 - (next() % 1000);
      const had = truth.get(key);
      const got = table.getOrAdd(key, k);
      if (had === undefined) {
        assert.equal(got, -1, `new key ${key}`);
        truth.set(key, k);
      } else {
        assert.equal(got, had, `known key ${key}`);
      }
    }
    assert.equal(table.size, truth.size);
    for (const [key, value] of truth) assert.equal(table.get(key), value);
    assert.equal(table.get(2 ** 40 + 3), truth.get(2 ** 40 + 3) ?? -1);
    table.clear();
    assert.equal(table.size, 0);
    assert.equal(table.getOrAdd(5, 1), -1);
    assert.equal(table.get(5), 1);
  });
});

describe('batch view', () => {
  it('codes ports and protocols as whole numbers, with one code for none', () => {
    const v = new BatchView(
      makeBatch(V2, [
        `2 1 eni-a 10.0.0.1 10.0.0.2 40000 443 6 1 60 ${T0} ${T0 + 5} ACCEPT OK`,
        `2 1 eni-a 10.0.0.1 10.0.0.2 - - - 1 60 ${T0} ${T0 + 5} ACCEPT OK`,
        `2 1 eni-a 10.0.0.2 10.0.0.1 443 40000 17 1 60 ${T0} ${T0 + 5} ACCEPT OK`,
      ]),
    );
    assert.deepEqual([...v.dportCode], [443, 65536, 40000]);
    assert.deepEqual([...v.sportCode], [40000, 65536, 443]);
    assert.deepEqual([...v.protoCode], [6, 256, 17]);
    // without tcp-flags the ports tell the direction; a row without ports is no client
    assert.deepEqual([...v.forward], [1, 0, 0]);
    assert.deepEqual([...v.synOnly], [0, 0, 0]);
  });

  it('takes the direction from TCP flags where the record has them', () => {
    const v = new BatchView(
      makeBatch(V5, [
        // a bare SYN from the higher port: the client all the same
        `2 1 eni-a 10.0.0.2 10.0.0.1 443 40000 6 1 60 ${T0} ${T0 + 5} ACCEPT OK 2`,
        // SYN-ACK: the server's answer
        `2 1 eni-a 10.0.0.1 10.0.0.2 40000 443 6 1 60 ${T0} ${T0 + 5} ACCEPT OK 18`,
        // no SYN: the ports decide
        `2 1 eni-a 10.0.0.1 10.0.0.2 40000 443 6 1 60 ${T0} ${T0 + 5} ACCEPT OK 16`,
      ]),
    );
    assert.deepEqual([...v.forward], [1, 0, 1]);
    assert.deepEqual([...v.synOnly], [1, 0, 0]);
  });

  it('gives distinct values for selected rows: ports, IPv4 numbers, hashes of other text', () => {
    const v = new BatchView(
      makeBatch(V2, [
        `2 1 eni-a 10.0.0.1 10.0.0.2 40000 443 6 1 60 ${T0} ${T0 + 5} ACCEPT OK`,
        `2 1 eni-b 10.0.0.1 2001:db8::1 40000 - 6 1 60 ${T0} ${T0 + 5} ACCEPT OK`,
        `2 1 eni-a 10.0.0.1 10.0.0.2 40000 22 6 1 60 ${T0} ${T0 + 5} ACCEPT OK`,
      ]),
    );
    const rows = Uint32Array.of(2, 0, 1);
    const out = new Float64Array(3);
    DISTINCT_DSTPORT.values(v, rows, 3, out);
    assert.deepEqual([...out], [22, 443, 65536]);
    DISTINCT_DST.values(v, rows, 3, out);
    assert.equal(out[0], 0x0a000002);
    assert.equal(out[1], 0x0a000002);
    assert.ok(
      out[2]! > 0xffffffff,
      'an IPv6 address counts by the hash of its text, above every IPv4 number',
    );
    distinctColumn('interface_id').values(v, rows, 3, out);
    assert.equal(out[0], out[1]);
    assert.notEqual(out[0], out[2]);
  });
});

describe('group keys across code epochs', () => {
  it('finds a group again after the interned texts started over', () => {
    // a custom rule grouping by interface: its codes come from an interner that starts over
    // past 65,536 texts, so the second batch's codes mean other interfaces than the first's
    const config = parseAlertsConfig({
      rules: Object.fromEntries(
        [
          'port-scan-vertical',
          'port-scan-horizontal',
          'reject-spike-interface',
          'reject-spike-source',
          'new-peer-country',
          'new-peer-asn',
        ].map((id) => [id, { enabled: false }]),
      ),
      custom: [
        { id: 'per-eni', window: 3600, threshold: 2, group_by: ['interface'], filter: { action: 'REJECT' } },
      ],
    });
    const engine = new AlertEngine(buildRules(config), config);
    const row = (eni: string, t: number): string =>
      `2 1 ${eni} 10.0.0.1 10.0.0.2 40000 443 6 1 60 ${T0 + t - 5} ${T0 + t} REJECT OK`;
    const many = Array.from({ length: 70_000 }, (_, k) => row(`eni-${k.toString(16)}`, 10));
    const events = [
      ...engine.observe(makeBatch(V2, [row('eni-watched', 5), ...many])),
      ...engine.observe(makeBatch(V2, [row('eni-fresh', 20), row('eni-watched', 30)])),
      ...engine.flush(),
    ];
    const fired = events.filter((e) => e.kind === 'fired').map((e) => e.alert);
    assert.deepEqual(
      fired.map((a) => [a.rule, a.key, a.count]),
      [['per-eni', 'eni-watched', 2]],
    );
  });
});
