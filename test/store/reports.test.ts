import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStoreReader, type Reader } from '../../src/store/open.js';
import { runReport, type SectionResult } from '../../src/store/report-run.js';
import { findReport, REPORTS } from '../../src/store/reports.js';
import { FlowStore } from '../../src/store/store.js';
import { batchFromLines, tempDir } from './helpers.js';

const FIXTURES = new URL('../fixtures/store/', import.meta.url);
const lines = (name: string): string[] => readFileSync(new URL(name, FIXTURES), 'utf8').trimEnd().split('\n');

async function storeWith(path: string, files: string[]): Promise<void> {
  const store = await FlowStore.open(path);
  for (const f of files) {
    await store.append(batchFromLines(f, lines(f)));
    await store.commit(f);
  }
  await store.close();
}

async function report(reader: Reader, name: string, extra: Record<string, unknown> = {}) {
  return runReport(reader.con, findReport(name)!, { limit: 10, ...extra });
}

const section = (sections: readonly SectionResult[], title: string): SectionResult => {
  const s = sections.find((x) => x.title === title);
  assert.ok(s, `section ${title}`);
  return s;
};

/** Rows of a section as objects, for readable assertions. */
const objects = (s: SectionResult): Record<string, unknown>[] =>
  (s.rows ?? []).map((r) => Object.fromEntries(s.columns!.map((c, i) => [c, r[i]])));

describe('reports over a hand-written v5 fixture', () => {
  const tmp = tempDir();
  const db = join(tmp.dir, 'v5.duckdb');
  let reader: Reader;
  before(async () => {
    await storeWith(db, ['small-v5.log']);
    reader = await openStoreReader(db);
  });
  after(() => {
    reader.close();
    tmp.cleanup();
  });

  it('top-talkers ranks sources, destinations and pairs by bytes', async () => {
    const r = await report(reader, 'top-talkers');
    assert.equal(r.records, 8);
    assert.deepEqual(objects(section(r.sections, 'Top sources by bytes')).slice(0, 5), [
      { srcaddr: '10.0.1.10', bytes: 4000, packets: 30, flows: 2 },
      { srcaddr: '10.0.2.20', bytes: 500, packets: 5, flows: 1 },
      { srcaddr: '10.0.3.5', bytes: 400, packets: 4, flows: 1 },
      { srcaddr: '198.51.100.9', bytes: 120, packets: 3, flows: 1 },
      { srcaddr: '203.0.113.7', bytes: 120, packets: 3, flows: 2 },
    ]);
    const dst = objects(section(r.sections, 'Top destinations by bytes'));
    assert.deepEqual(
      dst.map((d) => [d.dstaddr, d.bytes]),
      [
        ['52.1.1.1', 4000],
        ['10.0.1.10', 500],
        ['8.8.8.8', 400],
        ['10.0.2.20', 240],
      ],
    );
    const pairs = objects(section(r.sections, 'Top pairs by bytes'));
    assert.deepEqual(pairs[0], {
      srcaddr: '10.0.1.10',
      dstaddr: '52.1.1.1',
      bytes: 4000,
      packets: 30,
      flows: 2,
    });
  });

  it('top-talkers --by packets and --limit', async () => {
    const r = await report(reader, 'top-talkers', { by: 'packets', limit: 2 });
    const src = objects(section(r.sections, 'Top sources by packets'));
    assert.deepEqual(
      src.map((s) => [s.srcaddr, s.packets]),
      [
        ['10.0.1.10', 30],
        ['10.0.2.20', 5],
      ],
    );
  });

  it('rejected: by source, by port, over time', async () => {
    const r = await report(reader, 'rejected', { interval: 3600 });
    const bySource = objects(section(r.sections, 'Rejected by source'));
    assert.deepEqual(
      bySource.map((s) => [s.srcaddr, s.flows, s.packets, s.bytes, s.ports]),
      [
        ['203.0.113.7', 2, 3, 120, 2],
        ['198.51.100.9', 1, 3, 120, 1],
      ],
    );
    const byPort = objects(section(r.sections, 'Rejected by destination port'));
    assert.deepEqual(
      byPort.map((p) => [p.dstport, p.protocol_name, p.flows, p.sources]),
      [
        [22, 'TCP', 2, 2],
        [3389, 'TCP', 1, 1],
      ],
    );
    const overTime = objects(section(r.sections, 'Rejected over time'));
    assert.deepEqual(
      overTime.map((t) => [t.time, t.flows]),
      [
        ['2026-06-01T01:00:00Z', 2],
        ['2026-06-01T02:00:00Z', 1],
      ],
    );
  });

  it('protocols and ports', async () => {
    const p = objects((await report(reader, 'protocols')).sections[0]!);
    assert.deepEqual(
      p.map((x) => [x.protocol, x.protocol_name, x.flows, x.bytes]),
      [
        [6, 'TCP', 6, 4740],
        [17, 'UDP', 1, 400],
      ],
    );
    const ports = objects((await report(reader, 'ports')).sections[0]!);
    assert.deepEqual(ports[0], {
      dstport: 22,
      protocol: 6,
      protocol_name: 'TCP',
      flows: 3,
      bytes: 660,
      packets: 9,
      accepted: 1,
      rejected: 2,
    });
  });

  it('timeline with --since/--until filters on end', async () => {
    const r = await report(reader, 'timeline', { interval: 3600, since: 1780275600, until: 1780279200 });
    assert.equal(r.interval, '1h');
    assert.deepEqual(objects(r.sections[0]!), [
      {
        time: '2026-06-01T01:00:00Z',
        flows: 2,
        bytes: 120,
        packets: 3,
        accepted_flows: 0,
        rejected_flows: 2,
        accepted_bytes: 0,
        rejected_bytes: 120,
      },
    ]);
  });

  it('interfaces, egress, nat, aws-services', async () => {
    const i = await report(reader, 'interfaces');
    assert.deepEqual(
      objects(section(i.sections, 'By network interface')).map((x) => [x.interface_id, x.bytes, x.flows]),
      [
        ['eni-aaa', 4000, 2],
        ['eni-bbb', 740, 4],
        ['eni-nat', 400, 1],
        ['eni-ccc', null, 1],
      ],
    );
    assert.deepEqual(objects(section(i.sections, 'By VPC')), [
      { vpc_id: 'vpc-1', bytes: 5140, packets: 45, flows: 8 },
    ]);
    const e = await report(reader, 'egress');
    assert.deepEqual(
      objects(section(e.sections, 'Egress to the internet by destination')).map((x) => [
        x.destination,
        x.bytes,
      ]),
      [
        ['52.1.1.1', 4000],
        ['8.8.8.8', 400],
      ],
    );
    assert.deepEqual(
      objects(section(e.sections, 'Egress to the internet by internal source')).map((x) => x.internal_source),
      ['10.0.1.10', '10.0.9.9'],
    );
    const n = objects((await report(reader, 'nat')).sections[0]!);
    assert.equal(n.length, 1);
    assert.equal(n[0]!.pkt_srcaddr, '10.0.9.9');
    assert.equal(n[0]!.srcaddr, '10.0.3.5');
    const a = await report(reader, 'aws-services');
    assert.deepEqual(section(a.sections, 'From AWS services').missing, ['pkt_src_aws_service']);
    assert.deepEqual(
      objects(section(a.sections, 'To AWS services')).map((x) => [x.pkt_dst_aws_service, x.bytes]),
      [
        ['S3', 4000],
        ['ROUTE53_RESOLVER', 400],
      ],
    );
  });

  it('geo and asn name the enrichment columns they lack', async () => {
    const g = await report(reader, 'geo');
    assert.deepEqual(
      g.sections.map((s) => s.missing),
      [['src_country'], ['dst_country']],
    );
    const a = await report(reader, 'asn');
    assert.deepEqual(a.sections[0]!.missing, ['src_asn']);
  });
});

describe('reports over v2 data', () => {
  const tmp = tempDir();
  const db = join(tmp.dir, 'v2.duckdb');
  let reader: Reader;
  before(async () => {
    await storeWith(db, ['small-v2.log']);
    reader = await openStoreReader(db);
  });
  after(() => {
    reader.close();
    tmp.cleanup();
  });

  it('say which fields are missing instead of an empty table', async () => {
    const r = await report(reader, 'interfaces');
    assert.deepEqual(objects(section(r.sections, 'By network interface')).length, 2);
    assert.deepEqual(section(r.sections, 'By VPC').missing, ['vpc_id']);
    assert.deepEqual(section(r.sections, 'By subnet').missing, ['subnet_id']);
    const nat = await report(reader, 'nat');
    assert.deepEqual(nat.sections[0]!.missing, ['pkt_srcaddr', 'pkt_dstaddr']);
  });

  it('every report runs', async () => {
    for (const def of REPORTS) {
      const r = await report(reader, def.name);
      assert.equal(r.sections.length > 0, true, def.name);
      for (const s of r.sections) assert.ok(s.rows || s.missing, `${def.name}: ${s.title}`);
    }
  });
});

describe('docs/reports.md', () => {
  it('shows the SQL of every report section', () => {
    const doc = readFileSync(new URL('../../docs/reports.md', import.meta.url), 'utf8');
    for (const def of REPORTS) {
      assert.ok(doc.includes(`## ${def.name}\n`), def.name);
      for (const sql of def.prelude ?? []) assert.ok(doc.includes(sql), `${def.name} prelude`);
      for (const sql of def.fastPrelude?.sql ?? []) assert.ok(doc.includes(sql), `${def.name} fast prelude`);
      for (const s of def.sections) assert.ok(doc.includes(s.sql), `${def.name}: ${s.title}`);
    }
  });
});
