import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { FIELDS, findField } from '../../src/fields/catalog.js';
import {
  fieldsForVersion,
  GENERATE_VERSIONS,
  generateBuffer,
  generateFlowLogs,
  sampleLines,
  writeSample,
} from '../../src/generate/index.js';
import { rowsOf, tallyLines } from './helpers.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowlens-generate-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('determinism', () => {
  for (const output of ['text', 'cloudwatch', 'parquet'] as const) {
    it(`same seed gives the same ${output} bytes, another seed different ones`, async () => {
      const a = await generateBuffer({ records: 3000, seed: 42, output, version: '5' });
      const b = await generateBuffer({ records: 3000, seed: 42, output, version: '5' });
      const c = await generateBuffer({ records: 3000, seed: 43, output, version: '5' });
      assert.ok(a.bytes.length > 0);
      assert.ok(a.bytes.equals(b.bytes));
      assert.deepEqual(a.truth, b.truth);
      assert.ok(!a.bytes.equals(c.bytes));
    });
  }

  it('gzip output is deterministic too, and the traffic does not depend on the malformed rate', async () => {
    const a = await generateBuffer({ records: 2000, seed: 9, gzip: true });
    const b = await generateBuffer({ records: 2000, seed: 9, gzip: true });
    assert.ok(a.bytes.equals(b.bytes));
    const clean = sampleLines({ records: 500, seed: 9 }).lines;
    const dirty = sampleLines({ records: 500, seed: 9, malformedRate: 0.3 }).lines;
    const same = clean.filter((line, i) => dirty[i] === line).length;
    assert.ok(same > 250 && same < 500, `${same} of 500 lines unchanged`);
  });
});

describe('field sets', () => {
  const expectField = (version: string, name: string, present: boolean) => {
    const names = fieldsForVersion(version as '2').map((f) => f.name);
    assert.equal(names.includes(name), present, `${name} in version ${version}`);
  };

  it('each version has its fields and every earlier one (TGW fields only in tgw)', () => {
    assert.deepEqual(
      fieldsForVersion('2').map((f) => f.name),
      FIELDS.filter((f) => f.version === 2).map((f) => f.name),
    );
    for (const [v, added] of [
      ['3', 'tcp-flags'],
      ['4', 'az-id'],
      ['5', 'traffic-path'],
      ['7', 'ecs-task-id'],
      ['8', 'reject-reason'],
      ['11', 'next-hop-interface-id'],
    ] as const) {
      expectField(v, added, true);
      expectField(v, 'log-status', true);
      expectField(v, 'tgw-id', false);
    }
    expectField('5', 'ecs-task-id', false);
    expectField('7', 'reject-reason', false);
    expectField('11', 'encryption-status', true);
    expectField('tgw', 'tgw-id', true);
    expectField('tgw', 'packets-lost-blackhole', true);
    expectField('tgw', 'action', false);
    expectField('tgw', 'interface-id', false);
  });

  for (const version of GENERATE_VERSIONS) {
    it(`version ${version}: header, version value and field count of every line`, () => {
      const fields = fieldsForVersion(version);
      const { lines, truth } = sampleLines({ records: 400, version, seed: 5 });
      assert.equal(lines[0], fields.map((f) => f.name).join(' '));
      const expectedVersion = version === 'tgw' ? 6 : Number(version);
      assert.equal(truth.version, expectedVersion);
      for (const line of lines.slice(1)) {
        const tokens = line.split(' ');
        assert.equal(tokens.length, fields.length, line);
        assert.equal(tokens[0], String(expectedVersion));
      }
    });
  }

  it('a custom --format writes exactly its fields, in its order', () => {
    const { lines, truth } = sampleLines({
      records: 50,
      format: ['srcaddr', 'dstaddr', 'bytes', 'action'].map((n) => `\${${n}}`).join(' '),
      seed: 2,
    });
    assert.equal(lines[0], 'srcaddr dstaddr bytes action');
    assert.deepEqual(truth.fields, ['srcaddr', 'dstaddr', 'bytes', 'action']);
    for (const line of lines.slice(1)) assert.match(line, /^\S+ \S+ (\d+|-) (ACCEPT|REJECT|-)$/);
  });

  it('header can be left out', () => {
    const { lines, truth } = sampleLines({ records: 10, header: false });
    assert.equal(lines.length, 10);
    assert.equal(truth.header, false);
    assert.match(lines[0]!, /^2 /);
  });
});

describe('ground truth', () => {
  for (const version of ['2', '5', '11'] as const) {
    it(`matches a simple count of the v${version} output, malformed lines included`, () => {
      const { lines, truth } = sampleLines({ records: 5000, version, seed: 11, malformedRate: 0.05 });
      const tally = tallyLines(lines.slice(1), truth.fields);
      assert.equal(lines.length, truth.lines);
      assert.equal(tally.records, truth.records);
      assert.equal(truth.records, 5000);
      assert.equal(tally.malformed, truth.malformed);
      assert.equal(tally.ok, truth.ok);
      assert.equal(tally.nodata, truth.nodata);
      assert.equal(tally.skipdata, truth.skipdata);
      assert.deepEqual(tally.accept, truth.accept);
      assert.deepEqual(tally.reject, truth.reject);
      assert.equal(truth.bytes, truth.accept.bytes + truth.reject.bytes);
      assert.equal(truth.records, truth.ok + truth.nodata + truth.skipdata + truth.malformed);
    });
  }

  it('malformed-rate produces malformed lines of several kinds', () => {
    const { lines, truth } = sampleLines({ records: 4000, seed: 3, malformedRate: 0.1 });
    assert.ok(truth.malformed > 250 && truth.malformed < 550, `${truth.malformed} malformed`);
    const body = lines.slice(1);
    const wrongCount = body.filter((l) => !/[^\x20-\x7e]/.test(l) && l.split(' ').length !== 14).length;
    const junk = body.filter((l) => /[^\x20-\x7e]/.test(l)).length;
    const notNumber = body.filter((l) => {
      const t = l.split(' ');
      return t.length === 14 && [0, 5, 6, 7, 8, 9, 10, 11].some((k) => !/^(\d+|-)$/.test(t[k]!));
    }).length;
    assert.ok(wrongCount > 0 && junk > 0 && notNumber > 0, `${wrongCount} ${junk} ${notNumber}`);
    assert.equal(wrongCount + junk + notNumber, truth.malformed);
    assert.equal(sampleLines({ records: 4000, seed: 3 }).truth.malformed, 0);
  });
});

describe('realism', () => {
  const { lines, truth } = sampleLines({ records: 20000, version: '8', seed: 21 });
  const rows = rowsOf(lines.slice(1), truth.fields);
  const ok = rows.filter((r) => r['log-status'] === 'OK');

  it('has NODATA and SKIPDATA records shaped as AWS writes them', () => {
    assert.ok(truth.nodata > 0 && truth.skipdata > 0);
    for (const r of rows.filter((x) => x['log-status'] !== 'OK')) {
      assert.equal(r.srcaddr, '-');
      assert.equal(r.action, '-');
      assert.equal(r.bytes, '-');
      assert.match(r['interface-id']!, /^eni-[0-9a-f]{17}$/);
    }
  });

  it('uses a few dozen ENIs, two accounts (plus unknown), two regions, several AZs', () => {
    const enis = new Set(rows.map((r) => r['interface-id']));
    assert.ok(enis.size >= 24 && enis.size <= 60, `${enis.size} ENIs`);
    const accounts = new Set(rows.map((r) => r['account-id']));
    assert.ok(accounts.has('unknown'));
    assert.equal([...accounts].filter((a) => /^\d{12}$/.test(a!)).length, 2);
    assert.equal(new Set(ok.map((r) => r.region)).size, 2);
    assert.ok(new Set(ok.map((r) => r['az-id'])).size >= 4);
  });

  it('mixes TCP, UDP and ICMP with coherent flags and ports', () => {
    const protocols = new Set(ok.map((r) => r.protocol));
    for (const p of ['6', '17', '1']) assert.ok(protocols.has(p), `protocol ${p}`);
    const flags = new Set(ok.filter((r) => r.protocol === '6').map((r) => r['tcp-flags']));
    for (const f of ['2', '18', '3', '19', '1', '0']) assert.ok(flags.has(f), `tcp-flags ${f}`);
    for (const r of ok.filter((x) => x.protocol !== '6')) assert.equal(r['tcp-flags'], '0');
    const ports = new Set(ok.map((r) => r.dstport));
    for (const p of ['443', '80', '22', '53', '5432', '6379']) assert.ok(ports.has(p), `port ${p}`);
  });

  it('has scanners: REJECTs from a few sources to many ports, some with reject-reason BPA', () => {
    const rejects = ok.filter((r) => r.action === 'REJECT');
    assert.ok(rejects.length > ok.length * 0.05);
    const byScanner = new Map<string, Set<string>>();
    for (const r of rejects) {
      const set = byScanner.get(r.srcaddr!) ?? new Set();
      set.add(r.dstport!);
      byScanner.set(r.srcaddr!, set);
    }
    const busiest = Math.max(...[...byScanner.values()].map((s) => s.size));
    assert.ok(busiest > 50, `busiest scanner hit ${busiest} ports`);
    assert.ok(rejects.some((r) => r['reject-reason'] === 'BPA'));
    assert.ok(ok.filter((r) => r['reject-reason'] === 'BPA').every((r) => r.action === 'REJECT'));
  });

  it('has heavy-tailed volumes and top talkers', () => {
    const bytes = ok.map((r) => Number(r.bytes)).sort((a, b) => b - a);
    const total = bytes.reduce((s, b) => s + b, 0);
    const top1 = bytes.slice(0, Math.ceil(bytes.length / 100)).reduce((s, b) => s + b, 0);
    assert.ok(top1 / total > 0.2, `top 1% of flows carry ${(top1 / total).toFixed(2)} of bytes`);
    const peers = new Map<string, number>();
    for (const r of ok)
      if (!r.srcaddr!.startsWith('10.')) peers.set(r.srcaddr!, (peers.get(r.srcaddr!) ?? 0) + 1);
    const counts = [...peers.values()].sort((a, b) => b - a);
    assert.ok(counts[0]! > 10 * counts[Math.floor(counts.length / 2)]!);
  });

  it('has NAT gateway records whose pkt-* addresses differ, IPv6 now and then, v5 direction and path', () => {
    const nat = ok.filter((r) => r.srcaddr !== r['pkt-srcaddr'] || r.dstaddr !== r['pkt-dstaddr']);
    assert.ok(nat.length > 0);
    for (const r of nat) assert.equal(r['instance-id'], '-');
    const v6 = ok.filter((r) => r.type === 'IPv6');
    assert.ok(v6.length > 0 && v6.length < ok.length * 0.2);
    for (const r of v6) assert.ok(r.srcaddr!.includes(':') && r.dstaddr!.includes(':'));
    assert.deepEqual(new Set(ok.map((r) => r['flow-direction'])), new Set(['ingress', 'egress']));
    for (const r of ok.filter((x) => x['flow-direction'] === 'ingress')) assert.equal(r['traffic-path'], '-');
    assert.ok(ok.some((r) => r['pkt-dst-aws-service'] === 'S3'));
  });

  it('keeps start and end inside one 600 s aggregation window', () => {
    const t0 = 1780272000;
    for (const r of rows) {
      const start = Number(r.start);
      const end = Number(r.end);
      assert.ok(start <= end);
      assert.equal(Math.floor((start - t0) / 600), Math.floor((end - t0) / 600), `${start} ${end}`);
    }
    const sixty = sampleLines({ records: 3000, interval: 60, seed: 2 });
    for (const r of rowsOf(sixty.lines.slice(1), sixty.truth.fields)) {
      assert.equal(Math.floor((Number(r.start) - t0) / 60), Math.floor((Number(r.end) - t0) / 60));
    }
  });

  it('fills ECS fields on task ENIs (v7) and next-hop/tag fields (v11)', () => {
    const v11 = sampleLines({ records: 5000, version: '11', seed: 4 });
    const r11 = rowsOf(v11.lines.slice(1), v11.truth.fields).filter((r) => r['log-status'] === 'OK');
    const ecs = r11.filter((r) => r['ecs-task-arn'] !== '-');
    assert.ok(ecs.length > 0);
    for (const r of ecs) assert.match(r['ecs-cluster-arn']!, /^arn:aws:ecs:[a-z0-9-]+:\d{12}:cluster\//);
    assert.ok(r11.some((r) => r['next-hop-interface-type'] === 'regional_nat_gateway'));
    assert.ok(r11.some((r) => r['instance-tag'] !== '-'));
    assert.ok(r11.some((r) => r['interface-tag'] !== '-'));
    assert.ok(r11.some((r) => r['resource-id']!.startsWith('nat-')));
  });
});

describe('files and formats', () => {
  it('writeSample: a .gz path gives valid gzip holding the same text', async () => {
    const path = join(dir, 'sample.log.gz');
    const truth = await writeSample(path, { records: 2500, seed: 8 });
    const text = gunzipSync(await readFile(path)).toString('latin1');
    const plain = sampleLines({ records: 2500, seed: 8 });
    assert.equal(text, plain.lines.join('\n') + '\n');
    assert.deepEqual(truth, plain.truth);
    assert.equal(truth.header, true);
  });

  it('cloudwatch: DATA_MESSAGE payloads, one stream per ENI, ids and ms timestamps', () => {
    const { lines, truth } = sampleLines({
      records: 3000,
      output: 'cloudwatch',
      version: '3',
      seed: 6,
      cloudwatchControl: true,
      eventsPerPayload: 50,
    });
    assert.equal(lines.length, truth.lines);
    assert.equal(truth.control, 1);
    const control = JSON.parse(lines[0]!);
    assert.equal(control.messageType, 'CONTROL_MESSAGE');
    assert.equal(control.owner, 'CloudwatchLogs');
    assert.deepEqual(control.subscriptionFilters, []);
    let events = 0;
    const ids = new Set<string>();
    const streams = new Set<string>();
    const messages: string[] = [];
    for (const line of lines.slice(1)) {
      const p = JSON.parse(line);
      assert.deepEqual(Object.keys(p), [
        'messageType',
        'owner',
        'logGroup',
        'logStream',
        'subscriptionFilters',
        'logEvents',
      ]);
      assert.equal(p.messageType, 'DATA_MESSAGE');
      assert.match(p.owner, /^\d{12}$/);
      assert.equal(typeof p.logGroup, 'string');
      assert.ok(p.logEvents.length >= 1 && p.logEvents.length <= 50);
      streams.add(p.logStream);
      const times = p.logEvents.map((e: { timestamp: number }) => e.timestamp);
      assert.deepEqual(
        times,
        [...times].sort((a, b) => a - b),
        'events in time order',
      );
      for (const e of p.logEvents) {
        events++;
        assert.match(e.id, /^\d{56}$/);
        ids.add(e.id);
        const tokens = e.message.split(' ');
        assert.equal(tokens[2], p.logStream, 'the stream is the record ENI');
        assert.equal(e.timestamp, Number(tokens[10]) * 1000, 'timestamp = start in ms');
        messages.push(e.message);
      }
    }
    assert.equal(events, truth.records);
    assert.equal(ids.size, events);
    assert.equal(streams.size, truth.interfaces);
    assert.equal(truth.payloads, lines.length - 1);
    const tally = tallyLines(messages, truth.fields);
    assert.deepEqual(tally.accept, truth.accept);
    assert.equal(tally.nodata, truth.nodata);
  });

  it('parquet: readable by hyparquet with AWS column names and types, in row groups', async () => {
    const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
    const path = join(dir, 'flows.parquet');
    const truth = await writeSample(path, { records: 2500, version: '8', seed: 12, rowGroupSize: 1000 });
    assert.equal(truth.output, 'parquet');
    assert.equal(truth.rowGroups, 3);
    const buf = await readFile(path);
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const meta = parquetMetadata(file);
    assert.equal(Number(meta.num_rows), 2500);
    assert.equal(meta.row_groups.length, 3);
    const columns = meta.schema.slice(1);
    const fields = fieldsForVersion('8');
    assert.deepEqual(
      columns.map((c) => c.name),
      fields.map((f) => f.column),
    );
    for (const c of columns) {
      const f = findField(c.name)!;
      const expected = f.type === 'int32' ? 'INT32' : f.type === 'int64' ? 'INT64' : 'BYTE_ARRAY';
      assert.equal(c.type, expected, c.name);
      if (f.type === 'string') assert.equal(c.converted_type, 'UTF8', c.name);
    }
    assert.equal(meta.row_groups[0]!.columns[0]!.meta_data?.codec, 'GZIP');
    const { gunzipSync: gunzip } = await import('node:zlib');
    const rows = (await parquetReadObjects({
      file,
      compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gunzip(input)) },
    })) as Record<string, unknown>[];
    assert.equal(rows.length, 2500);
    let acceptBytes = 0;
    let nodata = 0;
    for (const r of rows) {
      if (r.log_status === 'NODATA') {
        nodata++;
        assert.equal(r.bytes, null);
      }
      if (r.action === 'ACCEPT') acceptBytes += Number(r.bytes as bigint);
    }
    assert.equal(acceptBytes, truth.accept.bytes);
    assert.equal(nodata, truth.nodata);
    assert.equal(typeof rows[0]!.version, 'number');
    assert.equal(typeof rows[0]!.start, 'bigint');
  });

  it('rejects bad options with a message naming the option', () => {
    assert.throws(() => generateFlowLogs({ records: -1 }), /records/);
    assert.throws(() => generateFlowLogs({ malformedRate: 2 }), /malformed-rate/);
    assert.throws(() => generateFlowLogs({ output: 'parquet', malformedRate: 0.1 }), /malformed-rate/);
    assert.throws(() => generateFlowLogs({ format: 'version $bad' }), /--format/);
  });

  it('reads its output only once, and the truth is complete after reading', async () => {
    const gen = generateFlowLogs({ records: 100 });
    assert.equal(gen.truth.records, 0);
    for await (const _ of gen.chunks()) {
      // consume
    }
    assert.equal(gen.truth.records, 100);
    assert.throws(() => gen.chunks(), /only once/);
  });
});
