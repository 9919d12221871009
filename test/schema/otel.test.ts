import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OTEL_ATTRIBUTES, otelDocumentSchema, otelMapping } from '../../src/schema/otel.js';
import type { AttributeWriter } from '../../src/schema/types.js';
import { makeBatch } from '../enrich/make-batch.js';
import { allFieldsBatch } from './all-fields.js';

/** Hand-written expectations for every row of OTEL_ATTRIBUTES (row 0 egress; src_* geo from row 1). */
const EXPECTED: Readonly<Record<string, unknown>> = {
  'aws.vpc.flow.log.version': 11,
  'network.interface.name': 'eni-0aa1',
  'source.port': 40126,
  'destination.port': 443,
  'aws.vpc.flow.packets': 25,
  'aws.vpc.flow.bytes': 8800,
  'aws.vpc.flow.start': 1620000000,
  'aws.vpc.flow.end': 1620000060,
  'aws.vpc.flow.action': 'REJECT',
  'aws.vpc.flow.status': 'OK',
  'aws.vpc.id': 'vpc-01',
  'aws.vpc.subnet.id': 'subnet-01',
  'host.id': 'i-01',
  'network.tcp.flags': 18,
  'aws.az.id': 'use1-az1',
  'aws.sublocation.type': 'outpost',
  'aws.sublocation.id': 'op-01',
  'aws.vpc.flow.source.service': 'EC2',
  'aws.vpc.flow.destination.service': 'ROUTE53',
  'aws.vpc.flow.traffic_path': '2',
  'aws.vpc.flow.resource_type': 'TransitGateway',
  'aws.tgw.id': 'tgw-01',
  'aws.tgw.attachment.id': 'tgw-attach-01',
  'aws.tgw.attachment.pair.id': 'tgw-attach-02',
  'aws.tgw.source.vpc.account.id': '111111111111',
  'aws.tgw.destination.vpc.account.id': '222222222222',
  'aws.tgw.source.vpc.id': 'vpc-src',
  'aws.tgw.destination.vpc.id': 'vpc-dst',
  'aws.tgw.source.vpc.subnet.id': 'subnet-src',
  'aws.tgw.destination.vpc.subnet.id': 'subnet-dst',
  'aws.tgw.source.eni.id': 'eni-src',
  'aws.tgw.destination.eni.id': 'eni-dst',
  'aws.tgw.source.az.id': 'use1-az2',
  'aws.tgw.destination.az.id': 'use1-az3',
  'aws.vpc.flow.packets_lost_no_route': 1,
  'aws.vpc.flow.packets_lost_blackhole': 2,
  'aws.vpc.flow.packets_lost_mtu_exceeded': 3,
  'aws.vpc.flow.packets_lost_ttl_expired': 4,
  'aws.ecs.cluster.arn': 'arn:cluster',
  'aws.ecs.cluster.name': 'shop',
  'aws.ecs.container.instance.arn': 'arn:ci',
  'aws.ecs.container.instance.id': 'ci-01',
  'aws.ecs.container.id': 'c-01',
  'aws.ecs.second.container.id': 'c-02',
  'aws.ecs.service.name': 'web',
  'aws.ecs.task.definition.arn': 'arn:taskdef',
  'aws.ecs.task.arn': 'arn:task',
  'aws.ecs.task.id': 'task-01',
  'aws.vpc.flow.reject_reason': 'BPA',
  'aws.vpc.flow.resource_id': 'rnat-01',
  'aws.vpc.flow.encryption_status': 1,
  'aws.vpc.flow.interface_type': 'interface',
  'aws.vpc.flow.next_hop.interface.id': 'eni-next',
  'aws.vpc.flow.next_hop.subnet.id': 'subnet-next',
  'aws.vpc.flow.next_hop.az.id': 'use1-az4',
  'aws.vpc.flow.next_hop.vpc.id': 'vpc-next',
  'aws.vpc.flow.next_hop.interface.type': 'regional_nat_gateway',
  'aws.vpc.flow.instance_tag': 'web-01',
  'aws.vpc.flow.interface_tag': 'primary',
  'network.tcp.flags.names': ['syn', 'ack'],
  // Community ID of TCP 10.0.1.5:40126 <-> 8.8.8.8:443, seed 0 (cross-checked in the enrich tests' vectors)
  'network.community_id': '1:l4NLYJHawuXgqp2XjcjmjKeawKk=',
  'log.record.uid': 'd148c0d0f188d3f20000000000000002', // sha1('all-fields.log')[0:16] + line 2
  'flowlens.source.network.class': 'private',
  'flowlens.destination.network.class': 'public',
  'flowlens.flow.class': 'outbound',
  'destination.geo.country.iso_code': 'US',
  'destination.geo.locality.name': 'Mountain View',
  'destination.geo.location.lat': 37.4056,
  'destination.geo.location.lon': -122.0775,
  'destination.as.number': 15169,
  'destination.as.organization.name': 'GOOGLE',
};
const EXPECTED_INGRESS: Readonly<Record<string, unknown>> = {
  'source.geo.country.iso_code': 'AU',
  'source.geo.locality.name': 'Sydney',
  'source.geo.location.lat': -33.8688,
  'source.geo.location.lon': 151.209,
  'source.as.number': 13335,
  'source.as.organization.name': 'CLOUDFLARENET',
};

const doc = async (options = {}) => {
  const batch = await allFieldsBatch();
  const s = otelDocumentSchema(options);
  return [s.document(batch, 0), s.document(batch, 1)] as const;
};

for (const [column, attribute] of OTEL_ATTRIBUTES) {
  test(`otel: ${column} -> ${attribute}`, async () => {
    const [egress, ingress] = await doc();
    const want = attribute in EXPECTED ? EXPECTED[attribute] : EXPECTED_INGRESS[attribute];
    assert.notEqual(want, undefined, `no expectation written for ${attribute}`);
    assert.deepEqual(attribute in EXPECTED ? egress[attribute] : ingress[attribute], want);
  });
}

test('otel: packet addresses are source/destination, the ENI-side address is network.local.address', async () => {
  const [egress, ingress] = await doc();
  assert.equal(egress['source.address'], '10.0.1.5');
  assert.equal(egress['destination.address'], '8.8.8.8');
  assert.equal(egress['network.local.address'], '10.0.0.220'); // egress: srcaddr is the ENI's
  assert.equal(ingress['source.address'], '1.1.1.1');
  assert.equal(ingress['destination.address'], '10.0.1.5');
  assert.equal(ingress['network.local.address'], '10.0.0.221'); // ingress: dstaddr is the ENI's
  const plain = makeBatch('srcaddr dstaddr pkt-srcaddr pkt-dstaddr', [
    '10.0.1.5 8.8.8.8 10.0.1.5 8.8.8.8',
    '10.0.0.9 8.8.8.8 - -',
  ]);
  const s = otelDocumentSchema();
  assert.equal('network.local.address' in s.document(plain, 0), false);
  assert.equal(s.document(plain, 1)['source.address'], '10.0.0.9');
});

test('otel: protocol, transport, type and direction rules', async () => {
  const [egress, ingress] = await doc();
  assert.equal(egress['network.protocol.name'], 'tcp');
  assert.equal(egress['network.transport'], 'tcp');
  assert.equal(egress['network.type'], 'ipv4');
  assert.equal(egress['network.io.direction'], 'transmit');
  assert.equal(ingress['network.io.direction'], 'receive');
  const b = makeBatch('srcaddr dstaddr protocol type', [
    '10.0.0.1 10.0.0.2 1 EFA',
    'fd00::1 fd00::2 58 -',
    '10.0.0.1 10.0.0.2 17 IPv6',
  ]);
  const s = otelDocumentSchema();
  const efa = s.document(b, 0);
  assert.equal(efa['network.protocol.name'], 'icmp');
  assert.equal('network.transport' in efa, false, 'ICMP has no network.transport value');
  assert.equal('network.type' in efa, false);
  assert.equal(efa['aws.vpc.flow.type'], 'EFA');
  assert.equal(s.document(b, 1)['network.type'], 'ipv6', 'from the address when `type` is absent');
  assert.equal(s.document(b, 1)['network.protocol.name'], 'ipv6-icmp');
  assert.equal(s.document(b, 2)['network.transport'], 'udp');
});

test('otel: resource attributes, time, severity and body options', async () => {
  const batch = await allFieldsBatch();
  const [egress, ingress] = await doc();
  assert.equal(egress['cloud.provider'], 'aws');
  assert.equal(egress['cloud.account.id'], '123456789010');
  assert.equal(egress['cloud.region'], 'us-east-1');
  assert.equal(egress['aws.s3.bucket'], 'logs');
  assert.equal(egress['aws.s3.key'], 'AWSLogs/x.log.gz');
  assert.equal(egress.time, '2021-05-03T00:01:00.000Z');
  assert.equal(egress.severity_number, 13);
  assert.equal(egress.severity_text, 'WARN');
  assert.equal(ingress.severity_number, 9);
  assert.equal(ingress.severity_text, 'INFO');
  assert.equal(egress.body, batch.line(0));
  assert.match(String(egress.body), /^11 123456789010 eni-0aa1 10\.0\.0\.220 /);
  const [startTime] = await doc({ timeField: 'start' });
  assert.equal(startTime.time, '2021-05-03T00:00:00.000Z');
  const [summary] = await doc({ body: 'summary' });
  assert.equal(summary.body, 'REJECT tcp 10.0.1.5:40126 -> 8.8.8.8:443 25 packets 8800 bytes eni-0aa1');
  const [none] = await doc({ body: 'none' });
  assert.equal('body' in none, false);
  const m = otelMapping();
  assert.equal(m.timeSeconds(batch, 0), 1620000060);
  assert.equal(otelMapping({ timeField: 'start' }).timeSeconds(batch, 0), 1620000000);
  assert.equal(m.resourceKey(batch, 0), m.resourceKey(batch, 1));
  assert.match(m.resourceKey(batch, 0), /^123456789010\u0000us-east-1\u0000/);
  const other = makeBatch('account-id region', ['123456789010 us-east-1'], {
    id: 's3://logs/other.log.gz',
    context: { bucket: 'logs', key: 'other.log.gz' },
  });
  assert.notEqual(m.resourceKey(other, 0), m.resourceKey(batch, 0), 'another object is another resource');
  const plainA = makeBatch('account-id region', ['123456789010 us-east-1', '123456789010 eu-west-1']);
  assert.notEqual(m.resourceKey(plainA, 0), m.resourceKey(plainA, 1), 'another region is another resource');
});

test('otel: CloudWatch sources add log group and stream names to the resource', () => {
  const b = makeBatch('account-id srcaddr', ['123456789010 10.0.0.1'], {
    id: 'cwl:/vpc/flows/eni-1',
    context: { logGroup: '/vpc/flows', logStream: 'eni-1', owner: '123456789010' },
  });
  const d = otelDocumentSchema().document(b, 0);
  assert.deepEqual(d['aws.log.group.names'], ['/vpc/flows']);
  assert.deepEqual(d['aws.log.stream.names'], ['eni-1']);
});

test('otel: the encoder interface gets typed values (int, double, string, string array)', async () => {
  const batch = await allFieldsBatch();
  const calls = new Map<string, string>();
  const w: AttributeWriter = {
    str: (k, v) => calls.set(k, `str:${v}`),
    int: (k, v) => calls.set(k, `int:${v}`),
    dbl: (k, v) => calls.set(k, `dbl:${v}`),
    bool: (k, v) => calls.set(k, `bool:${v}`),
    strArray: (k, v) => calls.set(k, `arr:${v.join('|')}`),
  };
  otelMapping().attributes(batch, 0, w);
  assert.equal(calls.get('source.port'), 'int:40126');
  assert.equal(calls.get('aws.vpc.flow.bytes'), 'int:8800');
  assert.equal(calls.get('destination.geo.location.lat'), 'dbl:37.4056');
  assert.equal(calls.get('aws.vpc.flow.traffic_path'), 'str:2');
  assert.equal(calls.get('network.tcp.flags.names'), 'arr:syn|ack');
  const res = new Map<string, string>();
  otelMapping().resource(batch, 0, { ...w, str: (k, v) => res.set(k, v) });
  assert.deepEqual(
    [...res.keys()],
    ['cloud.provider', 'cloud.account.id', 'cloud.region', 'aws.s3.bucket', 'aws.s3.key'],
  );
});

test('otel: NODATA maps without addresses or action; unknown fields keep their text', () => {
  const b = makeBatch(
    'version account-id interface-id srcaddr dstaddr action log-status start end my-field',
    ['2 123456789010 eni-1 - - - NODATA 1431280876 1431280934 hello'],
  );
  const d = otelDocumentSchema().document(b, 0);
  for (const k of ['source.address', 'destination.address', 'aws.vpc.flow.action', 'network.protocol.name']) {
    assert.equal(k in d, false, k);
  }
  assert.equal(d['aws.vpc.flow.status'], 'NODATA');
  assert.equal(d.severity_number, 9);
  assert.equal(d['aws.vpc.flow.my_field'], 'hello');
  assert.equal(
    otelDocumentSchema({ body: 'summary' }).document(b, 0).body,
    'NODATA eni-1 1431280876-1431280934',
  );
});
