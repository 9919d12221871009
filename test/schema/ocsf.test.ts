import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  OCSF_BOUNDARY,
  OCSF_ENDPOINT_FIELDS,
  OCSF_ENI_FIELDS,
  ocsfDocumentSchema,
} from '../../src/schema/ocsf.js';
import { makeBatch } from '../enrich/make-batch.js';
import { allFieldsBatch } from './all-fields.js';

type Obj = Record<string, unknown>;
const at = (doc: Obj, path: string): unknown =>
  path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Obj)[k] : undefined), doc);

const docs = async () => {
  const batch = await allFieldsBatch();
  const s = ocsfDocumentSchema();
  return [s.document(batch, 0), s.document(batch, 1)] as const;
};

/** Hand-written expectations: [src value (ingress row), dst value (egress row)] per endpoint row. */
const ENDPOINT_EXPECTED: Readonly<Record<string, readonly [unknown, unknown]>> = {
  port: [40126, 443],
  svc_name: ['EC2', 'ROUTE53'],
  'location.country': ['AU', 'US'],
  'location.city': ['Sydney', 'Mountain View'],
  'location.lat': [-33.8688, 37.4056],
  'location.long': [151.209, -122.0775],
  'autonomous_system.number': [13335, 15169],
  'autonomous_system.name': ['CLOUDFLARENET', 'GOOGLE'],
};

for (const [src, dst, key] of OCSF_ENDPOINT_FIELDS) {
  test(`ocsf: ${src} / ${dst} -> src_endpoint / dst_endpoint.${key}`, async () => {
    const [egress, ingress] = await docs();
    const want = ENDPOINT_EXPECTED[key];
    assert.ok(want, `no expectation written for ${key}`);
    assert.deepEqual(at(ingress, `src_endpoint.${key}`), want[0]);
    assert.deepEqual(at(egress, `dst_endpoint.${key}`), want[1]);
  });
}

const ENI_EXPECTED: Readonly<Record<string, string>> = {
  interface_uid: 'eni-0aa1',
  vpc_uid: 'vpc-01',
  instance_uid: 'i-01',
  subnet_uid: 'subnet-01',
};

for (const [column, key] of OCSF_ENI_FIELDS) {
  test(`ocsf: ${column} -> ${key} on the ENI's side (src for egress, dst for ingress)`, async () => {
    const [egress, ingress] = await docs();
    assert.equal(at(egress, `src_endpoint.${key}`), ENI_EXPECTED[key]);
    assert.equal(at(egress, `dst_endpoint.${key}`), undefined);
    assert.equal(at(ingress, `dst_endpoint.${key}`), ENI_EXPECTED[key]);
    assert.equal(at(ingress, `src_endpoint.${key}`), undefined);
  });
}

test('ocsf: traffic-path 1-8 maps to boundary_id 4-11', () => {
  const expected: Record<number, [number, string]> = {
    1: [4, 'Same VPC'],
    2: [5, 'Internet/VPC Gateway'],
    3: [6, 'Virtual Private Gateway'],
    4: [7, 'Intra-region VPC'],
    5: [8, 'Inter-region VPC'],
    6: [9, 'Local Gateway'],
    7: [10, 'Gateway VPC'],
    8: [11, 'Internet Gateway'],
  };
  assert.deepEqual(Object.keys(OCSF_BOUNDARY).map(Number), [1, 2, 3, 4, 5, 6, 7, 8]);
  const b = makeBatch(
    'srcaddr dstaddr traffic-path',
    ['1 2 3 4 5 6 7 8 9'.split(' ').map((p) => `10.0.0.1 8.8.8.8 ${p}`)].flat(),
  );
  const s = ocsfDocumentSchema();
  for (let path = 1; path <= 9; path++) {
    const conn = at(s.document(b, path - 1), 'connection_info') as Obj;
    const [id, name] = expected[path] ?? [99, 'Other'];
    assert.equal(conn.boundary_id, id, `traffic-path ${path}`);
    assert.equal(conn.boundary, name, `traffic-path ${path}`);
  }
});

test('ocsf: action -> activity, action, disposition and type_uid', async () => {
  const [egress, ingress] = await docs();
  const pick = (d: Obj) => [
    d.activity_id,
    d.activity_name,
    d.type_uid,
    d.action_id,
    d.action,
    d.disposition_id,
    d.disposition,
  ];
  assert.deepEqual(pick(egress), [2, 'Deny', 400102, 2, 'Denied', 2, 'Blocked']);
  assert.deepEqual(pick(ingress), [6, 'Traffic', 400106, 1, 'Allowed', 1, 'Allowed']);
  assert.equal(egress.class_uid, 4001);
  assert.equal(egress.category_uid, 4);
});

test('ocsf: record-level fields', async () => {
  const [egress, ingress] = await docs();
  assert.equal(egress.time, 1620000000000);
  assert.equal(egress.start_time, 1620000000000);
  assert.equal(egress.end_time, 1620000060000);
  assert.equal(egress.duration, 60000);
  assert.equal(egress.status_code, 'OK');
  assert.deepEqual(egress.metadata, {
    product: { name: 'Amazon VPC', vendor_name: 'AWS', version: '11' },
    version: '1.1.0',
    uid: 'd148c0d0f188d3f20000000000000002',
  });
  assert.deepEqual(egress.cloud, {
    provider: 'AWS',
    account: { uid: '123456789010' },
    region: 'us-east-1',
    zone: 'use1-az1',
  });
  assert.equal(at(egress, 'src_endpoint.ip'), '10.0.1.5');
  assert.deepEqual(at(egress, 'src_endpoint.intermediate_ips'), ['10.0.0.220']);
  assert.equal(at(egress, 'dst_endpoint.ip'), '8.8.8.8');
  assert.deepEqual(at(egress, 'dst_endpoint.intermediate_ips'), ['10.0.0.221']);
  assert.deepEqual(egress.connection_info, {
    protocol_num: 6,
    protocol_name: 'tcp',
    tcp_flags: 18,
    direction_id: 2,
    direction: 'Outbound',
    boundary_id: 5,
    boundary: 'Internet/VPC Gateway',
    community_uid: '1:l4NLYJHawuXgqp2XjcjmjKeawKk=',
  });
  assert.equal(at(ingress, 'connection_info.direction_id'), 1);
  assert.equal(at(ingress, 'connection_info.direction'), 'Inbound');
  assert.equal(at(ingress, 'connection_info.boundary_id'), undefined);
  assert.deepEqual(egress.traffic, { bytes: 8800, packets: 25 });
  const unmapped = egress.unmapped as Obj;
  assert.equal(unmapped.reject_reason, 'BPA');
  assert.equal(unmapped.tgw_pair_attachment_id, 'tgw-attach-02');
  assert.equal(unmapped.ecs_cluster_name, 'shop');
  assert.equal(unmapped.flow_class, 'outbound');
  assert.deepEqual(unmapped.tcp_flag_names, ['syn', 'ack']);
  for (const mapped of [
    'srcaddr',
    'protocol',
    'bytes',
    'action',
    'log_status',
    'interface_id',
    'record_uid',
    'community_id',
    'src_country',
  ]) {
    assert.equal(mapped in unmapped, false, mapped);
  }
});

test('ocsf: NODATA is an Unknown activity with no addresses', () => {
  const b = makeBatch(
    'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
    ['2 123456789010 eni-1 - - - - - - - 1431280876 1431280934 - NODATA'],
  );
  const d = ocsfDocumentSchema().document(b, 0);
  assert.equal(d.activity_id, 0);
  assert.equal(d.action_id, 0);
  assert.equal(d.disposition_id, 0);
  assert.equal(d.type_uid, 400100);
  assert.equal(d.status_code, 'NODATA');
  assert.deepEqual(d.src_endpoint, { interface_uid: 'eni-1' });
  assert.equal(d.dst_endpoint, undefined);
  assert.equal(d.traffic, undefined);
  assert.equal(d.connection_info, undefined);
});
