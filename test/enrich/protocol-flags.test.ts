import assert from 'node:assert/strict';
import { test } from 'node:test';
import { protocolEnricher } from '../../src/enrich/protocol.js';
import { otelTransport, protocolName } from '../../src/enrich/protocols.js';
import { tcpFlagNames, tcpFlagsEnricher } from '../../src/enrich/tcp-flags.js';
import { makeBatch } from './make-batch.js';

test('IANA keywords of the protocol numbers flow logs carry', () => {
  const expected: Record<number, string> = {
    0: 'hopopt',
    1: 'icmp',
    2: 'igmp',
    4: 'ipv4',
    6: 'tcp',
    8: 'egp',
    17: 'udp',
    33: 'dccp',
    41: 'ipv6',
    43: 'ipv6-route',
    44: 'ipv6-frag',
    46: 'rsvp',
    47: 'gre',
    50: 'esp',
    51: 'ah',
    58: 'ipv6-icmp',
    59: 'ipv6-nonxt',
    60: 'ipv6-opts',
    88: 'eigrp',
    89: 'ospfigp',
    94: 'ipip',
    97: 'etherip',
    103: 'pim',
    108: 'ipcomp',
    112: 'vrrp',
    115: 'l2tp',
    132: 'sctp',
    135: 'mobility-header',
    136: 'udplite',
    137: 'mpls-in-ip',
    143: 'ethernet',
    144: 'aggfrag',
  };
  for (const [n, name] of Object.entries(expected))
    assert.equal(protocolName(Number(n)), name, `protocol ${n}`);
  for (const n of [61, 63, 68, 99, 114, 200, 253, 254, 255, 256, -1, 6.5])
    assert.equal(protocolName(n), null, `protocol ${n}`);
});

test('network.transport only for tcp and udp', () => {
  assert.equal(otelTransport(6), 'tcp');
  assert.equal(otelTransport(17), 'udp');
  assert.equal(otelTransport(1), null);
  assert.equal(otelTransport(132), null);
});

test('protocol enricher adds protocol_name, null for `-` and unassigned numbers', () => {
  const batch = makeBatch('protocol', ['6', '17', '58', '-', '200']);
  protocolEnricher().enrich(batch);
  assert.deepEqual(
    Array.from({ length: 5 }, (_, i) => batch.str('protocol_name', i)),
    ['tcp', 'udp', 'ipv6-icmp', null, null],
  );
});

test('tcp flag bits decode to names; combinations OR-ed over the interval are kept whole', () => {
  assert.deepEqual(tcpFlagNames(0), []);
  assert.deepEqual(tcpFlagNames(1), ['fin']);
  assert.deepEqual(tcpFlagNames(2), ['syn']);
  assert.deepEqual(tcpFlagNames(4), ['rst']);
  assert.deepEqual(tcpFlagNames(8), ['psh']);
  assert.deepEqual(tcpFlagNames(16), ['ack']);
  assert.deepEqual(tcpFlagNames(32), ['urg']);
  assert.deepEqual(tcpFlagNames(64), ['ece']);
  assert.deepEqual(tcpFlagNames(128), ['cwr']);
  assert.deepEqual(tcpFlagNames(18), ['syn', 'ack']);
  assert.deepEqual(tcpFlagNames(19), ['fin', 'syn', 'ack']);
  assert.deepEqual(tcpFlagNames(3), ['fin', 'syn']);
  assert.deepEqual(tcpFlagNames(255), ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr']);
  assert.equal(tcpFlagNames(256), null);
});

test('tcp-flags enricher: list column, null where the record has no flags', () => {
  const batch = makeBatch('tcp-flags', ['19', '-', '2']);
  tcpFlagsEnricher().enrich(batch);
  assert.deepEqual(batch.row(0).tcp_flag_names, ['fin', 'syn', 'ack']);
  assert.equal(batch.row(1).tcp_flag_names, null);
  assert.deepEqual(batch.row(2).tcp_flag_names, ['syn']);
  const none = makeBatch('protocol', ['6']);
  tcpFlagsEnricher().enrich(none);
  assert.equal(none.row(0).tcp_flag_names, null);
});
