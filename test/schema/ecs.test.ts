import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ECS_FIELDS, ecsDocumentSchema } from '../../src/schema/ecs.js';
import { makeBatch } from '../enrich/make-batch.js';
import { allFieldsBatch } from './all-fields.js';

type Obj = Record<string, unknown>;
const at = (doc: Obj, path: string): unknown =>
  path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Obj)[k] : undefined), doc);

/** Hand-written expectations for every row of ECS_FIELDS (egress row; source geo from the ingress row). */
const EXPECTED: Readonly<Record<string, unknown>> = {
  'source.port': 40126,
  'destination.port': 443,
  'source.packets': 25,
  'source.bytes': 8800,
  'cloud.account.id': '123456789010',
  'cloud.region': 'us-east-1',
  'cloud.availability_zone': 'use1-az1',
  'cloud.instance.id': 'i-01',
  'event.reason': 'BPA',
  'orchestrator.cluster.id': 'arn:cluster',
  'orchestrator.cluster.name': 'shop',
  'orchestrator.resource.id': 'ci-01',
  'orchestrator.resource.name': 'arn:ci',
  'service.name': 'web',
  'event.id': 'd148c0d0f188d3f20000000000000002',
  'network.community_id': '1:l4NLYJHawuXgqp2XjcjmjKeawKk=',
  'destination.geo.country_iso_code': 'US',
  'destination.geo.city_name': 'Mountain View',
  'destination.geo.location.lat': 37.4056,
  'destination.geo.location.lon': -122.0775,
  'destination.as.number': 15169,
  'destination.as.organization.name': 'GOOGLE',
  'flowlens.src_network_class': 'private',
  'flowlens.dst_network_class': 'public',
  'flowlens.flow_class': 'outbound',
};
const EXPECTED_INGRESS: Readonly<Record<string, unknown>> = {
  'source.geo.country_iso_code': 'AU',
  'source.geo.city_name': 'Sydney',
  'source.geo.location.lat': -33.8688,
  'source.geo.location.lon': 151.209,
  'source.as.number': 13335,
  'source.as.organization.name': 'CLOUDFLARENET',
};

const docs = async () => {
  const batch = await allFieldsBatch();
  const s = ecsDocumentSchema();
  return [s.document(batch, 0), s.document(batch, 1)] as const;
};

for (const [column, path] of ECS_FIELDS) {
  test(`ecs: ${column} -> ${path}`, async () => {
    const [egress, ingress] = await docs();
    const inEgress = path in EXPECTED;
    const want = inEgress ? EXPECTED[path] : EXPECTED_INGRESS[path];
    assert.notEqual(want, undefined, `no expectation written for ${path}`);
    assert.deepEqual(at(inEgress ? egress : ingress, path), want);
  });
}

test('ecs: timestamps, event outcome and the connection fields', async () => {
  const [egress, ingress] = await docs();
  assert.equal(egress['@timestamp'], '2021-05-03T00:01:00.000Z');
  assert.deepEqual(egress.event, {
    kind: 'event',
    category: ['network'],
    type: ['connection', 'denied'],
    action: 'REJECT',
    outcome: 'failure',
    start: '2021-05-03T00:00:00.000Z',
    end: '2021-05-03T00:01:00.000Z',
    reason: 'BPA',
    id: 'd148c0d0f188d3f20000000000000002',
  });
  assert.equal(at(ingress, 'event.outcome'), 'success');
  assert.deepEqual(at(ingress, 'event.type'), ['connection', 'allowed']);
  assert.equal(at(egress, 'source.ip'), '10.0.1.5');
  assert.equal(at(egress, 'source.address'), '10.0.1.5');
  assert.equal(at(egress, 'destination.ip'), '8.8.8.8');
  assert.deepEqual(egress.network, {
    transport: 'tcp',
    iana_number: '6',
    type: 'ipv4',
    direction: 'egress',
    bytes: 8800,
    packets: 25,
    community_id: '1:l4NLYJHawuXgqp2XjcjmjKeawKk=',
  });
  assert.equal(at(ingress, 'network.direction'), 'ingress');
  assert.equal(at(egress, 'cloud.provider'), 'aws');
  assert.deepEqual(at(egress, 'related.ip'), ['10.0.1.5', '8.8.8.8', '10.0.0.220', '10.0.0.221']);
});

test('ecs: everything else under aws.vpcflow, interface-side addresses kept when they differ', async () => {
  const [egress] = await docs();
  const v = at(egress, 'aws.vpcflow') as Obj;
  assert.equal(v.srcaddr, '10.0.0.220');
  assert.equal(v.dstaddr, '10.0.0.221');
  assert.equal(v.interface_id, 'eni-0aa1');
  // keywords, as Elastic's integration maps them: numbers as text
  assert.equal(v.tcp_flags, '18');
  assert.equal(v.version, '11');
  assert.deepEqual(v.tcp_flags_array, ['syn', 'ack']);
  assert.equal(v.tgw_id, 'tgw-01');
  assert.equal(v.ecs_task_id, 'task-01');
  assert.equal(v.next_hop_interface_type, 'regional_nat_gateway');
  assert.equal(v.traffic_path, '2');
  // kept beside their core ECS fields, as Elastic's pipeline keeps them
  assert.equal(v.action, 'REJECT');
  assert.equal(v.account_id, '123456789010');
  assert.equal(v.instance_id, 'i-01');
  for (const consumed of [
    'srcport',
    'protocol',
    'bytes',
    'start',
    'end',
    'region',
    'reject_reason',
    'pkt_srcaddr',
    'ecs_cluster_arn',
    'ecs_service_name',
  ]) {
    assert.equal(consumed in v, false, consumed);
  }
});

test('ecs: flow_class fills network.direction when flow-direction is absent', () => {
  const batchDoc = ecsDocumentSchema();
  // without the network enricher there is no direction at all
  const plain = makeBatch('srcaddr dstaddr protocol', ['8.8.8.8 10.0.0.1 17']);
  assert.equal(at(batchDoc.document(plain, 0), 'network.direction'), undefined);
  const b = makeBatch('srcaddr dstaddr protocol', ['8.8.8.8 10.0.0.1 17']);
  b.extra.set('flow_class', { kind: 'str', codes: new Uint32Array([1]), dict: ['', 'inbound'] });
  assert.equal(at(batchDoc.document(b, 0), 'network.direction'), 'inbound');
  assert.equal(at(batchDoc.document(b, 0), 'network.transport'), 'udp');
});

test('ecs: NODATA has no endpoints, no network object and no outcome', () => {
  const b = makeBatch(
    'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
    ['2 123456789010 eni-1 - - - - - - - 1431280876 1431280934 - NODATA'],
  );
  const d = ecsDocumentSchema().document(b, 0);
  assert.deepEqual(d, {
    '@timestamp': '2015-05-10T18:02:14.000Z',
    event: {
      kind: 'event',
      category: ['network'],
      type: ['connection'],
      start: '2015-05-10T18:01:16.000Z',
      end: '2015-05-10T18:02:14.000Z',
    },
    cloud: { provider: 'aws', account: { id: '123456789010' } },
    aws: {
      vpcflow: { version: '2', account_id: '123456789010', interface_id: 'eni-1', log_status: 'NODATA' },
    },
  });
});
