import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { RemoteStore } from '../../src/store/remote.js';
import {
  bucketSql,
  DERIVED_DIMS,
  DERIVED_READS,
  ROLLUP_ROWS_KEY,
  ROLLUP_SETS,
  ROLLUPS,
  type RollupDef,
} from '../../src/store/rollups.js';
import { FlowStore } from '../../src/store/store.js';
import { batchFromLines, enrichedSample, tempDir } from './helpers.js';

const tmp = tempDir('flowlens-rollups-');
after(() => tmp.cleanup());

const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

/** `n` records of one interface, `end` spread over `hours` hours from `t0`. */
function lines(n: number, t0: number, hours: number, action = 'ACCEPT'): string[] {
  const out = [HEADER];
  for (let i = 0; i < n; i++) {
    const end = t0 + Math.floor((i * hours * 3600) / n);
    out.push(
      `2 123456789012 eni-0a${i % 3} 10.0.${i % 7}.1 10.1.0.${i % 5} ${40000 + i} ${i % 2 ? 443 : 22} 6 ${1 + (i % 4)} ${100 + i} ${end - 30} ${end} ${action} OK`,
    );
  }
  return out;
}

/** Each rollup's totals by bucket and dimensions, against the same aggregate over `flows`. */
async function assertRollupsMatchFlows(store: FlowStore): Promise<void> {
  const cols = await store.query(
    `SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'flows' AND table_schema = 'main'`,
  );
  const inFlows = new Set(cols.map((r) => String(r.c)));
  for (const def of ROLLUPS) {
    const diff = await store.query(differenceSql(def, inFlows));
    assert.deepEqual(diff, [], `${def.table} differs from flows`);
  }
}

function differenceSql(def: RollupDef, inFlows: ReadonlySet<string>): string {
  const dims = def.dims.filter(
    (d) => inFlows.has(d) || (DERIVED_READS.get(d) ?? [d]).every((c) => inFlows.has(c)),
  );
  const keys = dims.map((d) => `"${d}"`).join(', ');
  // Derived dimensions are computed here from their flows columns, independently of the sync.
  const exprs = dims.map((d) => `${DERIVED_DIMS.get(d) ?? `"${d}"`} AS "${d}"`).join(', ');
  const fromRollup = `SELECT bucket, ${keys}, sum(records) AS r, sum(bytes) AS b, sum(packets) AS p FROM ${def.table} GROUP BY ALL`;
  const fromFlows = `SELECT ${bucketSql('"end"', def.grain)} AS bucket, ${exprs}, count(*) AS r, sum(bytes) AS b, sum(packets) AS p FROM flows GROUP BY ALL`;
  return `SELECT count(*) AS n FROM ((${fromRollup}) EXCEPT ALL (${fromFlows})
    UNION ALL ((${fromFlows}) EXCEPT ALL (${fromRollup}))) HAVING count(*) > 0`;
}

async function watermark(store: FlowStore): Promise<number> {
  const r = await store.query(`SELECT value FROM flowlens_meta WHERE key = '${ROLLUP_ROWS_KEY}'`);
  return Number(r[0]?.value);
}

describe('rollups', () => {
  it('take in committed records when synced, not rolled back ones, and equal flows', async () => {
    const db = join(tmp.dir, 'sync.duckdb');
    const store = await FlowStore.open(db);
    try {
      const t0 = 1_700_000_000 - (1_700_000_000 % 3600);
      await store.append(batchFromLines('a.log', lines(600, t0, 3)));
      await store.commit('a.log');
      // Committed, not yet synced: the rollups lag and say so with their watermark.
      assert.equal(await watermark(store), 0);
      assert.equal(await store.syncRollups(), 600);
      assert.equal(await watermark(store), 600);
      await assertRollupsMatchFlows(store);

      // A re-ingest adds nothing; a rolled-back input leaves nothing to sync.
      await store.append(batchFromLines('a.log', lines(600, t0, 3)));
      assert.deepEqual(await store.commit('a.log'), { staged: 600, added: 0 });
      await store.append(batchFromLines('c.log', lines(50, t0, 1)));
      await store.abort('c.log');
      assert.equal(await store.syncRollups(), 0);

      // Records in buckets the rollups already hold: partial rows beside the first ones.
      await store.append(batchFromLines('b.log', lines(300, t0 + 3600, 2, 'REJECT')));
      await store.commit('b.log');
      assert.equal(await store.syncRollups(), 300);
      await assertRollupsMatchFlows(store);
      const total = await store.query('SELECT sum(records) AS n FROM flow_rollup_network_day');
      assert.equal(Number(total[0]?.n), 900);
    } finally {
      await store.close();
    }
  });

  it('a sync asked for while an input is open waits for its commit and includes it', async () => {
    const db = join(tmp.dir, 'open-input.duckdb');
    const store = await FlowStore.open(db);
    try {
      const t0 = 1_700_000_000;
      await store.append(batchFromLines('a.log', lines(100, t0, 1)));
      const synced = store.syncRollups();
      await store.append(batchFromLines('a.log', lines(100, t0, 1), 1000));
      await store.commit('a.log');
      assert.equal(await synced, 200);
      await assertRollupsMatchFlows(store);
    } finally {
      await store.close();
    }
  });

  it('closing the store syncs, and a store reopened without a watermark rebuilds them', async () => {
    const db = join(tmp.dir, 'close.duckdb');
    const { batches, sourceId } = await enrichedSample(tmp.dir, 3000, 5, 1024);
    const remote = await RemoteStore.open(db);
    for (const b of batches) await remote.append(b);
    await remote.commit(sourceId);
    await remote.close();
    let store = await FlowStore.open(db);
    try {
      assert.equal(await watermark(store), 3000, 'synced at close');
      await assertRollupsMatchFlows(store);
    } finally {
      await store.close();
    }
    // As a store of a flowlens that kept no watermark: the rollups are rebuilt from flows.
    const instance = await DuckDBInstance.create(db);
    const con = await instance.connect();
    await con.run(`DELETE FROM flowlens_meta WHERE key = '${ROLLUP_ROWS_KEY}'`);
    await con.run(`DELETE FROM ${ROLLUP_SETS[0]!.tables[0]!.table}`);
    con.closeSync();
    instance.closeSync();
    store = await FlowStore.open(db);
    try {
      assert.equal(await watermark(store), 3000, 'rebuilt on open');
      await assertRollupsMatchFlows(store);
    } finally {
      await store.close();
    }
  });

  it('merges partial rows once many gathered in buckets already held', async () => {
    const db = join(tmp.dir, 'merge.duckdb');
    const store = await FlowStore.open(db, { rollupMergeRows: 20 });
    try {
      const t0 = 1_700_000_000 - (1_700_000_000 % 3600);
      const network = ROLLUP_SETS.find((s) => s.name === 'network')!.tables[0]!.table;
      const rowsOf = async () => Number((await store.query(`SELECT count(*) AS n FROM ${network}`))[0]?.n);
      const counts: number[] = [];
      // Ten inputs in the same two hours, synced one by one: each adds partial rows beside the
      // ones there; past the threshold the table is merged back to one row per key.
      for (let k = 0; k < 10; k++) {
        const id = `in-${k}.log`;
        await store.append(batchFromLines(id, lines(100, t0, 2)));
        await store.commit(id);
        await store.syncRollups();
        counts.push(await rowsOf());
      }
      await assertRollupsMatchFlows(store);
      const keys = Number(
        (
          await store.query(
            `SELECT count(*) AS n FROM (SELECT DISTINCT * EXCLUDE (records, bytes, packets) FROM ${network})`,
          )
        )[0]?.n,
      );
      assert.ok(
        counts.some((n, i) => i > 0 && n < counts[i - 1]!),
        `merged at some sync: ${counts.join(' ')}`,
      );
      assert.ok(counts.at(-1)! < 10 * keys, `fewer rows than ten partial sums per key: ${counts.join(' ')}`);
    } finally {
      await store.close();
    }
  });
});
