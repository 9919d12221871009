import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { RunStats } from '../../src/core/stats.js';
import { decodeInput } from '../../src/decode/detect.js';
import { parseFormat } from '../../src/fields/format.js';
import { bytesInput, decode, decodeFixture, fixtureBytes } from './helpers.js';

const V2_FIRST = {
  version: 2,
  account_id: '123456789010',
  interface_id: 'eni-1235b8ca123456789',
  srcaddr: '172.31.16.139',
  dstaddr: '172.31.16.21',
  srcport: 20641,
  dstport: 22,
  protocol: 6,
  packets: 20,
  bytes: 4249,
  start: 1418530010,
  end: 1418530070,
  action: 'ACCEPT',
  log_status: 'OK',
};

describe('text decoder', () => {
  it('reads a v2 file with a header: numbers as numbers, - as null, NODATA/SKIPDATA kept and counted', async () => {
    const d = await decodeFixture('v2.log');
    assert.equal(d.error, undefined);
    assert.equal(d.rows.length, 5);
    assert.deepEqual(d.rows[0], V2_FIRST);
    assert.deepEqual(d.rows[2], {
      version: 2,
      account_id: '123456789010',
      interface_id: 'eni-1235b8ca123456789',
      srcaddr: null,
      dstaddr: null,
      srcport: null,
      dstport: null,
      protocol: null,
      packets: null,
      bytes: null,
      start: 1431280876,
      end: 1431280934,
      action: null,
      log_status: 'NODATA',
    });
    assert.equal(d.rows[3]!.log_status, 'SKIPDATA');
    assert.deepEqual(d.positions, [2, 3, 4, 5, 6], 'positions are 1-based line numbers, header is line 1');
    assert.equal(d.stats.records, 5);
    assert.equal(d.stats.nodata, 1);
    assert.equal(d.stats.skipdata, 1);
    assert.equal(d.stats.malformed, 0);
    assert.equal(d.stats.bytesIn, fixtureBytes('v2.log').length);
  });

  it('reads headerless text with the default v2 format', async () => {
    const d = await decodeFixture('v2-headerless.log');
    assert.equal(d.rows.length, 5);
    assert.deepEqual(d.rows[0], V2_FIRST);
    assert.deepEqual(d.positions, [1, 2, 3, 4, 5]);
  });

  it('reads headerless text in the configured --format order (either spelling, LogFormat or plain names)', async () => {
    for (const spec of [
      ['interface-id', 'action', 'srcaddr', 'dstport', 'protocol', 'flow-direction', 'version']
        .map((n) => `\${${n}}`)
        .join(' '),
      'interface_id action srcaddr dstport protocol flow_direction version',
    ]) {
      const d = await decodeFixture('custom-order.log', { format: parseFormat(spec) });
      assert.equal(d.stats.malformed, 0);
      assert.deepEqual(d.rows, [
        {
          interface_id: 'eni-1235b8ca123456789',
          action: 'ACCEPT',
          srcaddr: '172.31.16.139',
          dstport: 443,
          protocol: 6,
          flow_direction: 'egress',
          version: 2,
        },
        {
          interface_id: 'eni-1235b8ca123456789',
          action: 'REJECT',
          srcaddr: '198.51.100.7',
          dstport: null,
          protocol: 1,
          flow_direction: 'ingress',
          version: 2,
        },
      ]);
    }
  });

  it('lets a header line win over --format', async () => {
    const d = await decodeFixture('v2.log', { format: parseFormat('version srcaddr') });
    assert.equal(d.stats.malformed, 0);
    assert.deepEqual(d.rows[0], V2_FIRST);
  });

  it('reads the fields of every version: 3, 4, 5, 7, 8, 11 and Transit Gateway (6)', async () => {
    const v3 = await decodeFixture('v3.log');
    assert.equal(v3.rows[0]!.tcp_flags, 19);
    assert.equal(v3.rows[0]!.vpc_id, 'vpc-abcdefab012345678');
    assert.equal(v3.rows[1]!.pkt_srcaddr, '203.0.113.5');
    assert.equal(v3.rows[1]!.instance_id, null);

    const v4 = await decodeFixture('v4.log');
    assert.equal(v4.rows[0]!.region, 'us-east-1');
    assert.equal(v4.rows[0]!.az_id, 'use1-az1');
    assert.equal(v4.rows[1]!.sublocation_type, 'outpost');
    assert.equal(v4.rows[1]!.sublocation_id, 'op-0123456789abcdef0');

    const v5 = await decodeFixture('v5.log');
    assert.equal(v5.rows[0]!.pkt_dst_aws_service, 'AMAZON');
    assert.equal(v5.rows[0]!.flow_direction, 'egress');
    assert.equal(v5.rows[0]!.traffic_path, 1);
    assert.equal(v5.rows[1]!.traffic_path, null);
    assert.equal(v5.rows[1]!.pkt_src_aws_service, 'S3');
    assert.equal(v5.stats.nodata, 1);

    const v7 = await decodeFixture('v7.log');
    assert.equal(v7.rows[0]!.ecs_cluster_name, 'web');
    assert.equal(v7.rows[0]!.ecs_task_id, '3b7a3c0f5e8d4b2a9c1e6f7d8a9b0c1d');
    assert.equal(
      v7.rows[0]!.ecs_task_definition_arn,
      'arn:aws:ecs:us-east-1:123456789010:task-definition/frontend:7',
    );
    assert.equal(v7.rows[0]!.ecs_container_instance_arn, null);

    const v8 = await decodeFixture('v8.log');
    assert.equal(v8.rows[1]!.reject_reason, 'BPA');
    assert.equal(v8.rows[0]!.reject_reason, null);
    assert.equal(v8.rows[0]!.version, 8);

    const v11 = await decodeFixture('v11.log');
    assert.equal(v11.stats.malformed, 0);
    assert.equal(v11.rows[0]!.version, 11);
    assert.equal(v11.rows[0]!.next_hop_interface_type, 'regional_nat_gateway');
    assert.equal(v11.rows[0]!.instance_tag, 'web-server');
    assert.equal(v11.rows[0]!.encryption_status, 1);
    assert.equal(v11.rows[1]!.resource_id, 'nat-0123456789abcdef0');
    assert.equal(Object.keys(v11.rows[0]!).length, 50, 'the v2-v5, v7, v8, v10 and v11 fields');

    const tgw = await decodeFixture('tgw-v6.log');
    assert.equal(tgw.stats.malformed, 0);
    assert.deepEqual(
      {
        resource_type: tgw.rows[1]!.resource_type,
        tgw_id: tgw.rows[1]!.tgw_id,
        tgw_attachment_id: tgw.rows[1]!.tgw_attachment_id,
        tgw_src_vpc_account_id: tgw.rows[1]!.tgw_src_vpc_account_id,
        packets_lost_no_route: tgw.rows[1]!.packets_lost_no_route,
        packets_lost_mtu_exceeded: tgw.rows[0]!.packets_lost_mtu_exceeded,
      },
      {
        resource_type: 'TransitGatewayAttachment',
        tgw_id: 'tgw-0123456789abcdef0',
        tgw_attachment_id: 'tgw-attach-0fedcba9876543210',
        tgw_src_vpc_account_id: '210987654321',
        packets_lost_no_route: 3,
        packets_lost_mtu_exceeded: 1,
      },
    );
  });

  it('accepts the underscore header spelling', async () => {
    const hyphen = await decodeFixture('v5.log');
    const snake = await decodeFixture('v5-underscore.log');
    assert.equal(snake.stats.malformed, 0);
    assert.deepEqual(snake.rows, hyphen.rows);
  });

  it('reads IPv6 addresses', async () => {
    const d = await decodeFixture('ipv6.log');
    assert.equal(d.rows[0]!.srcaddr, '2001:db8:1234:a100:8d6e:3477:df66:f105');
    assert.equal(d.rows[0]!.type, 'IPv6');
    assert.equal(d.rows[1]!.dstaddr, 'ff02::1');
    assert.equal(d.rows[1]!.protocol, 58);
  });

  it('accepts CRLF line ends', async () => {
    const d = await decodeFixture('v2-crlf.log');
    assert.equal(d.stats.malformed, 0);
    assert.deepEqual(d.rows, [V2_FIRST]);
  });

  it('gives the same records whatever the chunk boundaries, gzip or not', async () => {
    const text = fixtureBytes('v5.log');
    const whole = await decode(bytesInput('a', text));
    for (const chunk of [1, 7, 64]) {
      const plain = await decode(bytesInput('a', text, chunk));
      assert.deepEqual(plain.rows, whole.rows, `plain, chunks of ${chunk}`);
      const gz = await decode(bytesInput('a', gzipSync(text), chunk));
      assert.deepEqual(gz.rows, whole.rows, `gzip, chunks of ${chunk}`);
    }
  });

  it('reads multi-member gzip, and a header at the start of each member switches the format', async () => {
    const a = fixtureBytes('v2.log');
    const b = fixtureBytes('v5.log');
    const d = await decode(bytesInput('multi.gz', Buffer.concat([gzipSync(a), gzipSync(b)])));
    assert.equal(d.error, undefined);
    assert.equal(d.stats.malformed, 0);
    assert.equal(d.rows.length, 8);
    assert.equal(d.rows[4]!.log_status, 'OK');
    assert.equal(d.rows[5]!.flow_direction, 'egress');
    assert.equal(d.batches.length, 2, 'a new field order starts a new batch');
    assert.equal(d.positions[5], 8, 'line numbers count across members');
  });

  it('splits into batches of batchSize rows with dictionary-encoded strings per batch', async () => {
    const lines = [
      'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
    ];
    for (let i = 0; i < 2500; i++) {
      lines.push(
        `2 123456789010 eni-${(i % 7).toString().padStart(17, '0')} 10.0.${i % 256}.${i % 13} 172.31.0.1 ${i} 443 6 ${i} ${i * 10} 1700000000 1700000060 ACCEPT OK`,
      );
    }
    const d = await decode(bytesInput('gen', gzipSync(lines.join('\n')), 999), { batchSize: 1000 });
    assert.deepEqual(
      d.batches.map((b) => b.length),
      [1000, 1000, 500],
    );
    assert.equal(d.rows[2499]!.srcport, 2499);
    assert.equal(d.rows[2499]!.interface_id, `eni-${(2499 % 7).toString().padStart(17, '0')}`);
    assert.equal(d.rows[1234]!.srcaddr, `10.0.${1234 % 256}.${1234 % 13}`);
    const eni = d.batches[1]!.column('interface_id');
    assert.ok(eni && eni.kind === 'str');
    assert.equal(eni.dict.length, 8, 'seven distinct ENIs plus the null placeholder');
    assert.equal(d.stats.records, 2500);
    assert.equal(d.positions[2499], 2501);
  });

  it('decodes multi-MiB gzip in several decompressed chunks, and stops cleanly when the reader stops', async () => {
    const lines = [
      'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
    ];
    for (let i = 0; i < 60000; i++) {
      lines.push(
        `2 123456789010 eni-0a1b2c3d4e5f60718 10.1.${i % 200}.${i % 250} 172.31.0.1 ${i} 443 6 ${i} ${i * 7} 1700000000 1700000060 ACCEPT OK`,
      );
    }
    const gz = gzipSync(lines.join('\n'));
    const d = await decode(bytesInput('big.gz', gz, 65536), { batchSize: 4096 });
    assert.equal(d.error, undefined);
    assert.equal(d.rows.length, 60000);
    for (const i of [0, 12345, 59999]) assert.equal(d.rows[i]!.srcport, i);
    const stats = new RunStats();
    let seen = 0;
    for await (const b of decodeInput(bytesInput('big.gz', gz, 65536), { stats, batchSize: 1000 })) {
      seen += b.length;
      break;
    }
    assert.equal(seen, 1000);
  });

  it('yields nothing for an empty input', async () => {
    const d = await decode(bytesInput('empty', Buffer.alloc(0)));
    assert.equal(d.error, undefined);
    assert.equal(d.rows.length, 0);
  });
});
