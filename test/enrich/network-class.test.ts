import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyName, FLOW_CLASSES, flowClassCode, NC } from '../../src/enrich/network-class.js';

/** address → expected class: one row per range of the special-purpose registries flowlens knows. */
const CASES: readonly [string, string | null][] = [
  ['10.0.0.1', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.254', 'private'],
  ['172.32.0.1', 'public'],
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'shared'],
  ['100.127.255.255', 'shared'],
  ['100.128.0.1', 'public'],
  ['127.0.0.1', 'loopback'],
  ['169.254.169.254', 'link-local'],
  ['224.0.0.251', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['192.0.2.10', 'documentation'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.25', 'documentation'],
  ['198.18.0.1', 'benchmarking'],
  ['0.0.0.0', 'unspecified'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['192.0.0.8', 'reserved'],
  ['8.8.8.8', 'public'],
  ['52.94.76.10', 'public'],
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['fe80::1', 'link-local'],
  ['fd12:3456:789a::1', 'private'],
  ['fc00::1', 'private'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation'],
  ['2001:2::1', 'benchmarking'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:8.8.8.8', 'public'],
  ['64:ff9b::8.8.8.8', 'public'],
  ['2600:1f18:abcd::10', 'public'],
  ['2001:4860:4860::8888', 'public'],
  ['fec0::1', 'reserved'],
  ['not-an-ip', null],
  ['unknown', null],
];

for (const [address, expected] of CASES) {
  test(`network class of ${address} is ${expected}`, () => {
    assert.equal(classifyName(address), expected);
  });
}

test('flow_class from the two endpoint classes', () => {
  const name = (s: number, d: number): string => FLOW_CLASSES[flowClassCode(s, d)]!;
  assert.equal(name(NC.private, NC.private), 'internal');
  assert.equal(name(NC.shared, NC.loopback), 'internal');
  assert.equal(name(NC.public, NC.private), 'inbound');
  assert.equal(name(NC.documentation, NC.private), 'inbound');
  assert.equal(name(NC.private, NC.public), 'outbound');
  assert.equal(name(NC.linkLocal, NC.public), 'outbound');
  assert.equal(name(NC.public, NC.public), 'external');
  assert.equal(name(NC.private, NC.multicast), 'internal');
  assert.equal(flowClassCode(NC.none, NC.private), 0);
  assert.equal(flowClassCode(NC.public, NC.none), 0);
});
