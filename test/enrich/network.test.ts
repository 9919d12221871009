import assert from 'node:assert/strict';
import { test } from 'node:test';
import { networkEnricher } from '../../src/enrich/network.js';
import { makeBatch } from './make-batch.js';

test('network classes use pkt-srcaddr/pkt-dstaddr when present, else srcaddr/dstaddr', () => {
  const batch = makeBatch('srcaddr dstaddr pkt-srcaddr pkt-dstaddr log-status', [
    '10.0.0.220 10.0.1.5 52.94.76.10 10.0.1.5 OK',
    '10.0.1.5 8.8.8.8 - - OK',
    '100.64.1.1 10.0.1.5 - - OK',
    '52.94.76.10 8.8.8.8 - - OK',
    '- - - - NODATA',
  ]);
  networkEnricher().enrich(batch);
  const cols = (i: number) => [
    batch.str('src_network_class', i),
    batch.str('dst_network_class', i),
    batch.str('flow_class', i),
  ];
  assert.deepEqual(cols(0), ['public', 'private', 'inbound']);
  assert.deepEqual(cols(1), ['private', 'public', 'outbound']);
  assert.deepEqual(cols(2), ['shared', 'private', 'internal']);
  assert.deepEqual(cols(3), ['public', 'public', 'external']);
  assert.deepEqual(cols(4), [null, null, null]);
});

test('default-format records (no pkt-* fields) classify srcaddr/dstaddr', () => {
  const batch = makeBatch('srcaddr dstaddr', ['fd00::5 2600:1f18::1', 'fe80::1 ff02::1']);
  networkEnricher().enrich(batch);
  assert.equal(batch.str('src_network_class', 0), 'private');
  assert.equal(batch.str('dst_network_class', 0), 'public');
  assert.equal(batch.str('flow_class', 0), 'outbound');
  assert.equal(batch.str('src_network_class', 1), 'link-local');
  assert.equal(batch.str('dst_network_class', 1), 'multicast');
  assert.equal(batch.str('flow_class', 1), 'internal');
});
