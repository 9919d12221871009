import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIPv4, parseIPv6 } from '../../src/enrich/ip.js';

test('parseIPv4 reads dotted quads as uint32', () => {
  assert.equal(parseIPv4('0.0.0.0'), 0);
  assert.equal(parseIPv4('1.2.3.4'), 0x01020304);
  assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
  assert.equal(parseIPv4('10.0.1.5'), 0x0a000105);
});

test('parseIPv4 rejects anything else', () => {
  for (const bad of [
    '',
    '-',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '1..2.3',
    '1.2.3.',
    '01.2.3.4',
    'a.b.c.d',
    '::1',
    ' 1.2.3.4',
  ]) {
    assert.equal(parseIPv4(bad), -1, bad);
  }
});

function v6(s: string): string | null {
  const out = new Uint8Array(16);
  return parseIPv6(s, out) ? Buffer.from(out).toString('hex') : null;
}

test('parseIPv6 expands compressed forms and IPv4 tails', () => {
  assert.equal(v6('::'), '00000000000000000000000000000000');
  assert.equal(v6('::1'), '00000000000000000000000000000001');
  assert.equal(v6('fe80::1'), 'fe800000000000000000000000000001');
  assert.equal(v6('2001:db8::'), '20010db8000000000000000000000000');
  assert.equal(v6('fe80:1:203:405:607:809:a0b:c0d'), 'fe80000102030405060708090a0b0c0d');
  assert.equal(v6('2600:1f18:ABCD::10'), '26001f18abcd00000000000000000010');
  assert.equal(v6('::ffff:10.0.0.1'), '00000000000000000000ffff0a000001');
  assert.equal(v6('64:ff9b::8.8.8.8'), '0064ff9b000000000000000008080808');
});

test('parseIPv6 rejects malformed addresses', () => {
  for (const bad of [
    '',
    ':',
    '1:2:3',
    '1::2::3',
    '12345::',
    'g::1',
    '1:2:3:4:5:6:7:8:9',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    '10.0.0.1',
    '::1.2.3',
  ]) {
    assert.equal(v6(bad), null, bad);
  }
});
