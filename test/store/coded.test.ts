import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FlowBatch, StrColumnBuilder } from '../../src/batch/flow-batch.js';
import { buildEnrichers } from '../../src/enrich/index.js';
import { NETWORK_CLASSES } from '../../src/enrich/network-class.js';
import { CODED_COLUMNS, valueKey } from '../../src/store/coded.js';
import { openStoreReader } from '../../src/store/open.js';
import { RemoteStore } from '../../src/store/remote.js';
import { runReport } from '../../src/store/report-run.js';
import { findReport } from '../../src/store/reports.js';
import { FlowStore } from '../../src/store/store.js';
import {
  batchFromLines,
  cellsByPosition,
  enrichedSample,
  reingest,
  storedTypes,
  tempDir,
  withoutStored,
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
    for (const name of CODED) assert.equal(types.has(name), false, `${name} has a column of its own`);
    assert.equal(types.get('packed_codes'), 'UINTEGER');
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
    assert.equal(types.get('packed_codes'), 'UINTEGER');
    assert.equal(types.has('protocol_name'), false);
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
    assert.equal(types.get('packed_codes'), 'UINTEGER');
    const want = expected([batches[0]!]);
    for (const [p, values] of want) assert.deepEqual(rows.get(p), values, `position ${p}`);
    const last = rows.get(900_000)!;
    assert.equal(last[CODED.indexOf('protocol_name')], 'TCP-custom');
    assert.deepEqual(last[CODED.indexOf('tcp_flag_names')], ['SYN', 'ACK']);
  });

  it('an input that fails after storing a column as text leaves the store as it was', async () => {
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
    // The text column the failed input added went with it.
    assert.equal(types.has('protocol_name'), false);
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
  it('sections over stored codes answer as the same sections over flows', async () => {
    const db = join(tmp.dir, 'reports-coded.duckdb');
    const store = await FlowStore.open(db);
    for (const b of batches) await store.append(b);
    await store.commit(sourceId);
    await store.close();
    const since = 1780272000 + 1800;
    const reader = await openStoreReader(db);
    try {
      for (const name of ['geo', 'asn', 'interfaces']) {
        const report = findReport(name)!;
        for (const options of [{ limit: 50 }, { limit: 5, since }]) {
          const fromCodes = await runReport(reader.con, report, options);
          const fromFlows = await runReport(reader.con, withoutStored(report), options);
          assert.deepEqual(fromCodes, fromFlows, `${name} ${JSON.stringify(options)}`);
          const rows = fromCodes.sections.map((s) => s.rows?.length ?? 0);
          if (options.limit === 50 && name !== 'interfaces') {
            assert.ok(
              rows.every((n) => n > 3),
              `${name} rows per section: ${rows.join(', ')}`,
            );
          }
        }
      }
      // The sections did read the codes: their SQL over flow_records is used for this store.
      const physical = await reader.con.runAndReadAll(
        `SELECT table_name, column_name, data_type FROM information_schema.columns`,
      );
      const types = new Map(
        physical
          .getRowsJS()
          .map(([table, n, t]) => [table === 'flow_records' ? String(n) : `${table}.${n}`, String(t)]),
      );
      for (const name of ['geo', 'asn', 'interfaces']) {
        const first = findReport(name)!.sections[0]!;
        assert.ok(first.stored?.(types)?.includes('flow_records'), `${name} reads flows`);
      }
    } finally {
      reader.close();
    }
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
    assert.equal(types.get('packed_codes'), 'UINTEGER');
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
      // A field kept as text (interface ids are dictionary codes).
      const lines = ['srcaddr ecs-task-arn'];
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
      const rows = (await reader.con.runAndReadAll('SELECT position, ecs_task_arn FROM flows')).getRowsJS();
      assert.equal(rows.length, want.size);
      for (const [p, id] of rows) assert.equal(id, want.get(Number(p)), `position ${p}`);
    } finally {
      reader.close();
    }
  });
});
