import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildEnrichers } from '../../src/enrich/index.js';
import { documentSchema } from '../../src/schema/index.js';
import { makeBatch } from '../enrich/make-batch.js';

test('raw: snake_case fields in input order, integers as numbers, `-` as null, then enrichments', async () => {
  const b = makeBatch('version account-id srcaddr dstaddr srcport dstport protocol tcp-flags log-status', [
    '3 123456789010 10.0.0.1 10.0.0.2 - 22 6 2 OK',
  ]);
  for (const e of await buildEnrichers({ enrich: ['protocol,tcp-flags,network'] })) e.enrich(b);
  const d = documentSchema('raw').document(b, 0);
  assert.deepEqual(d, {
    version: 3,
    account_id: '123456789010',
    srcaddr: '10.0.0.1',
    dstaddr: '10.0.0.2',
    srcport: null,
    dstport: 22,
    protocol: 6,
    tcp_flags: 2,
    log_status: 'OK',
    protocol_name: 'tcp',
    tcp_flag_names: ['syn'],
    src_network_class: 'private',
    dst_network_class: 'private',
    flow_class: 'internal',
  });
  assert.deepEqual(Object.keys(d).slice(0, 3), ['version', 'account_id', 'srcaddr']);
});

test('documentSchema knows raw, otel, ecs and ocsf', () => {
  for (const name of ['raw', 'otel', 'ecs', 'ocsf'] as const) assert.equal(documentSchema(name).name, name);
  assert.throws(() => documentSchema('nope' as 'raw'), /unknown schema "nope"/);
});

test('junk values never throw: every enricher and schema maps them to nulls or text', async () => {
  const { SCHEMA_NAMES } = await import('../../src/schema/types.js');
  const b = makeBatch(
    'version srcaddr dstaddr srcport dstport protocol tcp-flags pkt-srcaddr type flow-direction traffic-path start end action',
    [
      '2 999.1.1.1 ::zz 70000 -5 300 4096 unknown EFA sideways 42 - - MAYBE',
      '2 10.0.0.1 fe80::1%eth0 1 2 6 7 10.0.0.9 IPv9 egress 0 1620000000 - ACCEPT',
    ],
  );
  for (const e of await buildEnrichers({ enrich: ['all'], 'disable-enrich': ['geo'] })) e.enrich(b);
  const r = b.row(0);
  assert.equal(r.protocol_name, null);
  assert.equal(r.tcp_flag_names, null);
  assert.equal(r.src_network_class, null);
  assert.equal(r.community_id, null);
  for (const name of SCHEMA_NAMES) {
    for (let i = 0; i < b.length; i++) assert.equal(typeof documentSchema(name).document(b, i), 'object');
  }
  assert.equal(documentSchema('ocsf').document(b, 0).activity_id, 0);
  assert.equal(
    (documentSchema('ocsf').document(b, 1).connection_info as Record<string, unknown>).boundary_id,
    99,
  );
});
