import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { type FlowBatch, StrColumnBuilder } from '../../src/batch/flow-batch.js';
import { buildEnrichers } from '../../src/enrich/index.js';
import { NETWORK_CLASSES } from '../../src/enrich/network-class.js';
import { CODED_COLUMNS, decodeByListSql, valueKey } from '../../src/store/coded.js';
import { openStoreReader } from '../../src/store/open.js';
import { RemoteStore } from '../../src/store/remote.js';
import { runReport } from '../../src/store/report-run.js';
import { findReport } from '../../src/store/reports.js';
import { flowsViewSql } from '../../src/store/schema.js';
import { FlowStore } from '../../src/store/store.js';
import {
  batchFromLines,
  cellsByPosition,
  enrichedSample,
  reingest,
  storedTypes,
  tempDir,
} from './helpers.js';

/**
 * Coded columns (action, log_status, protocol_name, tcp_flag_names, network and flow classes)
 * are stored as small integers; `flows` must show exactly what the enrichers produced,
 * on the direct path, the staged (re-ingest) path, and after a value without a code arrives.
 */

const tmp = tempDir();
after(() => tmp.cleanup());

const CODED = [...CODED_COLUMNS.keys()];
let batches: FlowBatch[] = [];
let sourceId = '';

before(async () => {
  ({ batches, sourceId } = await enrichedSample(tmp.dir, 6000, 7, 2500));
});

/** What the batches say for every coded column, by position: the expected `flows` rows. */
function expected(from: readonly FlowBatch[]): Map<number, unknown[]> {
  return cellsByPosition(from, CODED);
}

async function stored(db: string): Promise<{ rows: Map<number, unknown[]>; types: Map<string, string> }> {
  const reader = await openStoreReader(db);
  try {
    const r = await reader.con.runAndReadAll(`SELECT position, ${CODED.join(', ')} FROM flows`);
    const rows = new Map(r.getRowsJS().map(([p, ...rest]) => [Number(p), rest as unknown[]]));
    return { rows, types: await storedTypes(db) };
  } finally {
    reader.close();
  }
}

describe('coded enrichment columns', () => {
  it('the enrichers produce these columns with values the tables hold', () => {
    for (const name of CODED) assert.ok(batches[0]!.column(name), `batch lacks ${name}`);
    const classes = CODED_COLUMNS.get('src_network_class')!;
    for (const c of NETWORK_CLASSES.slice(1))
      assert.ok(classes.codes.has(c), `network class ${c} has no code`);
    const flags = CODED_COLUMNS.get('tcp_flag_names')!;
    assert.equal(flags.codes.get(valueKey(['fin', 'syn', 'ack'])), 19);
  });

  it('are stored as codes and read back as the enrichers wrote them', async () => {
    const db = join(tmp.dir, 'direct.duckdb');
    const store = await FlowStore.open(db);
    for (const b of batches) await store.append(b);
    await store.commit(sourceId);
    await store.close();
    const { rows, types } = await stored(db);
    for (const name of CODED) assert.equal(types.get(name), CODED_COLUMNS.get(name)!.type, name);
    const want = expected(batches);
    assert.equal(rows.size, want.size);
    for (const [p, values] of want) assert.deepEqual(rows.get(p), values, `position ${p}`);
    // Not all NULL: the check above would pass on an empty enrichment.
    const flows = [...rows.values()];
    assert.ok(flows.some((v) => v[CODED.indexOf('protocol_name')] === 'tcp'));
    assert.ok(flows.some((v) => Array.isArray(v[CODED.indexOf('tcp_flag_names')])));
    assert.ok(flows.some((v) => v[CODED.indexOf('flow_class')] === 'outbound'));
  });

  it('a re-ingest stages, codes in SQL, and fills in only what is missing', async () => {
    const db = join(tmp.dir, 'staged.duckdb');
    const { staged, added } = await reingest(db, batches, sourceId);
    assert.equal(staged, 6000);
    assert.equal(added, 6000 - batches[0]!.length);
    const { rows, types } = await stored(db);
    assert.equal(types.get('protocol_name'), 'UTINYINT');
    const want = expected(batches);
    assert.equal(rows.size, want.size);
    for (const [p, values] of want) assert.deepEqual(rows.get(p), values, `position ${p}`);
  });

  it('a value without a code turns the column into text, keeping every stored value', async () => {
    const db = join(tmp.dir, 'uncode.duckdb');
    const store = await FlowStore.open(db);
    await store.append(batches[0]!);
    // Same input, later batch: the column is converted inside the input's open transaction.
    const odd = batchFromLines(sourceId, ['srcaddr dstport protocol', '10.9.9.9 443 6'], 900_000);
    const names = new StrColumnBuilder(1);
    names.set(0, 'TCP-custom');
    odd.extra.set('protocol_name', names.build(1));
    odd.extra.set('tcp_flag_names', { kind: 'list', values: [['SYN', 'ACK']] });
    await store.append(odd);
    await store.commit(sourceId);
    await store.close();
    const { rows, types } = await stored(db);
    assert.equal(types.get('protocol_name'), 'VARCHAR');
    assert.equal(types.get('tcp_flag_names'), 'VARCHAR[]');
    assert.equal(types.get('flow_class'), 'UTINYINT');
    const want = expected([batches[0]!]);
    for (const [p, values] of want) assert.deepEqual(rows.get(p), values, `position ${p}`);
    const last = rows.get(900_000)!;
    assert.equal(last[CODED.indexOf('protocol_name')], 'TCP-custom');
    assert.deepEqual(last[CODED.indexOf('tcp_flag_names')], ['SYN', 'ACK']);
  });

  it('an input that fails after converting a column leaves the column coded and the store as it was', async () => {
    const db = join(tmp.dir, 'uncode-abort.duckdb');
    const store = await FlowStore.open(db);
    await store.append(batches[0]!);
    await store.commit(sourceId);
    const odd = batchFromLines('other.log', ['srcaddr dstport protocol', '10.9.9.9 443 6']);
    const names = new StrColumnBuilder(1);
    names.set(0, 'TCP-custom');
    odd.extra.set('protocol_name', names.build(1));
    await store.append(odd);
    await store.abort('other.log');
    // The store goes on coding after the rollback.
    await store.append(batches[1]!);
    await store.commit(sourceId);
    await store.close();
    const { rows, types } = await stored(db);
    assert.equal(types.get('protocol_name'), 'UTINYINT');
    const want = expected([batches[0]!, batches[1]!]);
    assert.equal(rows.size, want.size);
    for (const [p, values] of want) assert.deepEqual(rows.get(p), values, `position ${p}`);
  });

  it('a re-ingest carrying a value without a code stores it as text', async () => {
    const db = join(tmp.dir, 'staged-uncode.duckdb');
    let store = await FlowStore.open(db);
    await store.append(batches[0]!);
    await store.commit(sourceId);
    await store.close();
    store = await FlowStore.open(db);
    const odd = batchFromLines(sourceId, ['srcaddr dstport protocol', '10.9.9.9 443 6'], 900_000);
    odd.extra.set('tcp_flag_names', { kind: 'list', values: [['SYN', 'ACK']] });
    await store.append(batches[0]!);
    await store.append(odd);
    const { added } = await store.commit(sourceId);
    await store.close();
    assert.equal(added, 1);
    const { rows, types } = await stored(db);
    assert.equal(types.get('tcp_flag_names'), 'VARCHAR[]');
    const want = expected([batches[0]!]);
    for (const [p, values] of want) assert.deepEqual(rows.get(p), values, `position ${p}`);
    assert.deepEqual(rows.get(900_000)![CODED.indexOf('tcp_flag_names')], ['SYN', 'ACK']);
  });
});

describe('reports over coded columns', () => {
  it('the geo report reads the codes and answers as over text columns', async () => {
    const coded = join(tmp.dir, 'geo-coded.duckdb');
    const text = join(tmp.dir, 'geo-text.duckdb');
    for (const db of [coded, text]) {
      const store = await FlowStore.open(db);
      for (const b of batches) await store.append(b);
      await store.commit(sourceId);
      await store.close();
    }
    // The text store: countries converted as the store converts a column meeting an odd value.
    const instance = await DuckDBInstance.create(text);
    const con = await instance.connect();
    for (const name of ['src_country', 'dst_country']) {
      const def = CODED_COLUMNS.get(name)!;
      await con.run(
        `ALTER TABLE flow_records ALTER COLUMN ${name} SET DATA TYPE VARCHAR USING ${decodeByListSql(def, name)}`,
      );
    }
    const types = (
      await con.runAndReadAll(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'flow_records' ORDER BY ordinal_position`,
      )
    ).getRowsJS();
    await con.run(flowsViewSql(new Map(types.map(([n, t]) => [String(n), String(t)]))));
    con.closeSync();
    instance.closeSync();
    const geo = findReport('geo')!;
    const since = 1780272000 + 1800;
    const answers = async (db: string) => {
      const reader = await openStoreReader(db);
      try {
        return [
          await runReport(reader.con, geo, { limit: 50 }),
          await runReport(reader.con, geo, { limit: 5, since }),
        ];
      } finally {
        reader.close();
      }
    };
    const [fromCodes, fromText] = [await answers(coded), await answers(text)];
    assert.deepEqual(fromCodes, fromText);
    const rows = fromCodes[0]!.sections.map((s) => s.rows?.length ?? 0);
    assert.ok(
      rows.every((n) => n > 3),
      `countries per section: ${rows.join(', ')}`,
    );
  });
});

describe('coded values at the ends of their tables', () => {
  it('code 0 and 255 read back (no overflow), and flows filters on decoded values', async () => {
    const db = join(tmp.dir, 'ends.duckdb');
    const store = await FlowStore.open(db);
    const batch = batchFromLines('ends.log', [
      'srcaddr dstaddr protocol tcp-flags action',
      '10.0.0.1 10.0.0.2 6 255 ACCEPT',
      '10.0.0.1 8.8.8.8 0 0 REJECT',
      '10.0.0.1 8.8.8.8 17 - -',
    ]);
    const enrichers = await buildEnrichers({ enrich: ['protocol', 'tcp-flags', 'network'] });
    for (const e of enrichers) e.enrich(batch);
    await store.append(batch);
    await store.commit('ends.log');
    await store.close();
    const reader = await openStoreReader(db);
    try {
      const rows = (
        await reader.con.runAndReadAll(
          `SELECT protocol_name, tcp_flag_names, action, flow_class FROM flows ORDER BY position`,
        )
      ).getRowsJS();
      assert.deepEqual(rows, [
        ['tcp', ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr'], 'ACCEPT', 'internal'],
        ['hopopt', [], 'REJECT', 'outbound'],
        ['udp', null, null, 'outbound'],
      ]);
      const filtered = (
        await reader.con.runAndReadAll(
          `SELECT count(*) FROM flows WHERE list_contains(tcp_flag_names, 'syn') AND action = 'ACCEPT'`,
        )
      ).getRowsJS();
      assert.deepEqual(filtered, [[1n]]);
    } finally {
      reader.close();
    }
  });
});

describe('coded columns through the store worker', () => {
  it('batches encoded with codes go in as text once the store holds the column as text', async () => {
    const db = join(tmp.dir, 'remote.duckdb');
    const store = await RemoteStore.open(db);
    try {
      const odd = batchFromLines('odd.log', ['srcaddr dstport protocol', '10.9.9.9 443 6'], 900_000);
      const names = new StrColumnBuilder(1);
      names.set(0, 'TCP-custom');
      odd.extra.set('protocol_name', names.build(1));
      await store.append(odd);
      await store.commit('odd.log');
      for (const b of batches) await store.append(b);
      assert.deepEqual(await store.commit(sourceId), { staged: 6000, added: 6000 });
    } finally {
      await store.close();
    }
    const { rows, types } = await stored(db);
    assert.equal(types.get('protocol_name'), 'VARCHAR');
    assert.equal(types.get('flow_class'), 'UTINYINT');
    const want = expected(batches);
    for (const [p, values] of want) assert.deepEqual(rows.get(p), values, `position ${p}`);
    assert.equal(rows.get(900_000)?.[CODED.indexOf('protocol_name')], 'TCP-custom');
    assert.equal(rows.size, want.size + 1);
  });
});

describe('long strings', () => {
  it('distinct and repeated long strings survive, across vectors and batches', async () => {
    const db = join(tmp.dir, 'long.duckdb');
    const store = await FlowStore.open(db);
    const want = new Map<number, string | null>();
    for (let b = 0; b < 2; b++) {
      const n = 5000;
      const lines = ['srcaddr interface-id'];
      for (let i = 0; i < n; i++) {
        // Batch 0 has long values only from row 4,500 on: its first vectors have none.
        const id =
          b === 0 && i < 4500
            ? `eni-${i}`
            : i % 7 === 0
              ? '-'
              : i % 3 === 0
                ? `eni-shared-${i % 5}-long-value`
                : `eni-${b}-${i}-ünïcode-${'x'.repeat(i % 40)}`;
        lines.push(`10.0.0.1 ${id}`);
        want.set(b * n + i + 2, id === '-' ? null : id);
      }
      await store.append(batchFromLines('long.log', lines, b * n + 2));
    }
    await store.commit('long.log');
    await store.close();
    const reader = await openStoreReader(db);
    try {
      const rows = (await reader.con.runAndReadAll('SELECT position, interface_id FROM flows')).getRowsJS();
      assert.equal(rows.length, want.size);
      for (const [p, id] of rows) assert.equal(id, want.get(Number(p)), `position ${p}`);
    } finally {
      reader.close();
    }
  });
});
