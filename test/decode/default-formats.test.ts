import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFormat, TGW_DEFAULT_FORMAT } from '../../src/fields/format.js';
import { bytesInput, decode, decodeFixture, fixtureBytes } from './helpers.js';

describe("AWS's default formats in headerless input", () => {
  it('a CloudWatch payload of Transit Gateway records in the default format needs no --format', async () => {
    const out = await decodeFixture('tgw-default-cloudwatch.json');
    assert.equal(out.error, undefined);
    assert.deepEqual(out.stats.malformedSamples, []);
    assert.equal(out.rows.length, 3);
    // Elastic's expected document for the first line: tgw_id, tgw_src_vpc_id, source, direction
    assert.equal(out.rows[0]!.tgw_id, 'tgw-0a12bc34de56f7890');
    assert.equal(out.rows[0]!.tgw_src_vpc_id, 'vpc-0jkl5678');
    assert.equal(out.rows[0]!.srcaddr, '1.128.0.0');
    assert.equal(out.rows[0]!.dstaddr, '2a02:cf40::');
    assert.equal(out.rows[0]!.dstport, 22);
    assert.equal(out.rows[0]!.log_status, 'SKIPDATA');
    assert.equal(out.rows[0]!.flow_direction, 'ingress');
    assert.equal(out.rows[1]!.tgw_attachment_id, 'tgw-attach-0456efgh');
    // a v2 line after them goes back to the v2 default
    assert.equal(out.rows[2]!.interface_id, 'eni-1235b8ca123456789');
    assert.equal(out.rows[2]!.action, 'ACCEPT');
  });

  it('headerless text switches between the two defaults line by line, with the scanner and without', async () => {
    const tgw = JSON.parse(fixtureBytes('tgw-default-cloudwatch.json').toString()).logEvents as {
      message: string;
    }[];
    const v2 = tgw[2]!.message;
    const text = Buffer.from(`${v2}\n${tgw[0]!.message}\n${tgw[1]!.message}\n${v2}\n${'1 2 3'}\n`);
    for (const chunk of [text.length, 50, 7]) {
      const out = await decode(bytesInput('mixed.log', text, chunk));
      assert.deepEqual(
        out.rows.map((r) => r.tgw_id ?? r.interface_id),
        ['eni-1235b8ca123456789', 'tgw-0a12bc34de56f7890', 'tgw-0a12bc34de56f7890', 'eni-1235b8ca123456789'],
      );
      assert.deepEqual(out.positions, [1, 2, 3, 4]);
      assert.equal(out.stats.malformed, 1);
      assert.match(
        out.stats.malformedSamples[0]!.message,
        /expected 14 fields \(the default v2 format\), got 3/,
      );
    }
  });

  it('a format given is kept: lines of another field count are malformed', async () => {
    assert.equal(TGW_DEFAULT_FORMAT.fields.length, 36);
    const out = await decodeFixture('tgw-default-cloudwatch.json', {
      format: parseFormat(
        'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
      ),
    });
    assert.equal(out.rows.length, 1);
    assert.equal(out.stats.malformed, 2);
  });
});
