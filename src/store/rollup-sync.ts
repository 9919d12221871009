import type { DuckDBConnection } from '@duckdb/node-api';
import { getMeta, setMeta } from './migrations.js';
import {
  ALL_TIME,
  aggregateFlowsSql,
  aggregateRollupSql,
  BUCKET_COLUMN,
  ROLLUP_ROWS_KEY,
  ROLLUP_SETS,
  ROLLUPS,
  type RollupDef,
  rollupInputSql,
} from './rollups.js';
import { quoteIdent, RECORDS_TABLE } from './schema.js';

/**
 * Partial rows a rollup table may gather over buckets that already had rows before it merges
 * them: bounds what readers sum beyond one row per key, and how often a merge rescans.
 */
const MERGE_AFTER_ROWS = 100_000;

/**
 * Rows of `flow_records` aggregated in one transaction: a rebuild over millions of records
 * goes in steps that each hold one step's columns in memory, and each moves the watermark.
 */
const ROWS_PER_STEP = 2_000_000;

/** Buckets of one rollup table holding partial rows, and how many were appended there. */
interface Unmerged {
  lo: number;
  hi: number;
  nulls: boolean;
  rows: number;
  /** Rows the buckets held when the first partial rows were appended beside them. */
  base: number;
}

/**
 * A table's partial rows are due for a merge past MERGE_AFTER_ROWS, or sooner once they are a
 * quarter of the rows beside them: a week or all-time table, whose buckets every sync touches,
 * then stays within a quarter of its merged size.
 */
const MERGE_FRACTION = 0.25;
const MERGE_MIN_ROWS = 1000;

/**
 * Brings the rollups up to `flow_records`: the rows past the watermark (ROLLUP_ROWS_KEY, a
 * rowid: `flow_records` is only appended to, and a committed append takes the next rowids) are
 * aggregated once per set and appended to its hourly and daily tables, in one transaction with
 * the new watermark. Runs on the writing connection with no input's transaction open.
 * Which buckets hold partial rows is known to this process only: a store reopened keeps the
 * ones left (readers sum them) until new rows fall in the same buckets again.
 */
export class RollupSync {
  private readonly unmerged = new Map<string, Unmerged>();
  /** Where the next look for a table to merge starts (see mergeOneDue). */
  private mergeTurn = 0;

  private readonly mergeAfterRows: number;

  constructor(
    private readonly con: DuckDBConnection,
    options: { readonly mergeAfterRows?: number } = {},
  ) {
    this.mergeAfterRows = options.mergeAfterRows ?? MERGE_AFTER_ROWS;
  }

  /** Rows of `flow_records` the rollups hold (0 for a store whose rollups were just created). */
  async watermark(): Promise<number> {
    const text = await getMeta(this.con, ROLLUP_ROWS_KEY);
    return text === null ? 0 : Number(text);
  }

  /**
   * Aggregates the rows past the watermark; `flowsSelect` turns a relation of `flow_records`
   * rows into the columns of `flows`, `flowsColumns` are those columns. Returns the rows added.
   */
  async run(flowsSelect: (from: string) => string, flowsColumns: ReadonlySet<string>): Promise<number> {
    const start = await this.watermark();
    const r = await this.con.runAndReadAll(`SELECT coalesce(max(rowid) + 1, 0) FROM ${RECORDS_TABLE}`);
    const end = Number(r.getRowsJS()[0]![0]);
    for (let from = start; from < end; from += ROWS_PER_STEP) {
      await this.step(from, Math.min(end, from + ROWS_PER_STEP), flowsSelect, flowsColumns);
      await this.mergeOneDue();
    }
    // A rebuild in several steps leaves partial rows in most tables: merged now, not later.
    if (end - start > ROWS_PER_STEP) while (await this.mergeOneDue());
    return Math.max(0, end - start);
  }

  /** Aggregates the rows [from, to) into every rollup and moves the watermark to `to`. */
  private async step(
    from: number,
    to: number,
    flowsSelect: (from: string) => string,
    flowsColumns: ReadonlySet<string>,
  ): Promise<void> {
    await this.con.run('BEGIN TRANSACTION');
    try {
      const rows = `(SELECT * FROM ${RECORDS_TABLE} WHERE rowid >= ${from} AND rowid < ${to}) AS ${RECORDS_TABLE}`;
      // The columns every set needs, decoded once from `flows`' view of the new rows.
      await this.con.run(
        `CREATE OR REPLACE TEMP TABLE rollup_input AS ${rollupInputSql(`(${flowsSelect(rows)})`, flowsColumns)}`,
      );
      for (const set of ROLLUP_SETS) {
        const [finest, ...coarser] = set.tables;
        await this.con.run(
          `CREATE OR REPLACE TEMP TABLE rollup_delta AS ${aggregateFlowsSql(finest!, 'rollup_input')}`,
        );
        await this.append(finest!, 'rollup_delta', 'SELECT * FROM rollup_delta');
        for (const def of coarser) {
          await this.append(def, 'rollup_delta', aggregateRollupSql(def, 'rollup_delta'));
        }
      }
      await this.con.run('DROP TABLE IF EXISTS temp.rollup_delta');
      await this.con.run('DROP TABLE IF EXISTS temp.rollup_input');
      await setMeta(this.con, ROLLUP_ROWS_KEY, String(to));
      await this.con.run('COMMIT');
    } catch (err) {
      await this.con.run('ROLLBACK').catch(() => undefined);
      // What this run appended is gone: so is its record of partial rows.
      this.unmerged.clear();
      throw err;
    }
  }

  /** Forgets every rollup row and sets the watermark to 0 (in the caller's transaction). */
  async reset(): Promise<void> {
    this.unmerged.clear();
    // Rollups of another flowlens version that this one does not keep.
    const r = await this.con.runAndReadAll(
      `SELECT table_name FROM information_schema.tables
       WHERE table_name LIKE 'flow_rollup_%' AND table_schema = 'main' AND table_catalog = current_database()`,
    );
    const kept = new Set(ROLLUPS.map((d) => d.table));
    for (const [name] of r.getRowsJS()) {
      if (!kept.has(String(name))) await this.con.run(`DROP TABLE ${quoteIdent(String(name))}`);
    }
    await setMeta(this.con, ROLLUP_ROWS_KEY, '0');
  }

  /** Appends `select` (rows of `def` from `delta`) and notes the partial rows it leaves. */
  private async append(def: RollupDef, delta: string, select: string): Promise<void> {
    const span = (
      await this.con.runAndReadAll(
        `SELECT min(${BUCKET_COLUMN}), max(${BUCKET_COLUMN}), count(*) - count(${BUCKET_COLUMN}) FROM ${delta}`,
      )
    ).getRowsJS()[0]!;
    const lo = span[0] === null ? undefined : bucketOf(Number(span[0]), def.grain);
    const hi = span[1] === null ? undefined : bucketOf(Number(span[1]), def.grain);
    const nulls = Number(span[2]) > 0;
    // Rows already there in the same buckets: the appended ones are partial sums beside them.
    // Only the buckets that held rows are noted (for time-ordered inputs, the edge ones).
    const overlap = bucketsSql(lo, hi, nulls);
    if (!overlap) {
      await this.con.run(`INSERT INTO ${def.table} ${select}`);
      return;
    }
    const held = (
      await this.con.runAndReadAll(
        `SELECT count(*), min(${BUCKET_COLUMN}), max(${BUCKET_COLUMN}), count(*) - count(${BUCKET_COLUMN}) FROM ${def.table} WHERE ${overlap}`,
      )
    ).getRowsJS()[0]!;
    const before = Number(held[0]);
    await this.con.run(`INSERT INTO ${def.table} ${select}`);
    if (before === 0) return;
    const heldLo = held[1] === null ? undefined : Number(held[1]);
    const heldHi = held[2] === null ? undefined : Number(held[2]);
    const heldNulls = Number(held[3]) > 0;
    const where = bucketsSql(heldLo, heldHi, heldNulls)!;
    const now = Number(
      (await this.con.runAndReadAll(`SELECT count(*) FROM ${def.table} WHERE ${where}`)).getRowsJS()[0]![0],
    );
    const u = this.unmerged.get(def.table);
    const next: Unmerged = {
      lo: Math.min(u?.lo ?? Number.POSITIVE_INFINITY, heldLo ?? Number.POSITIVE_INFINITY),
      hi: Math.max(u?.hi ?? Number.NEGATIVE_INFINITY, heldHi ?? Number.NEGATIVE_INFINITY),
      nulls: (u?.nulls ?? false) || heldNulls,
      rows: (u?.rows ?? 0) + (now - before),
      base: u?.base ?? before,
    };
    this.unmerged.set(def.table, next);
  }

  /**
   * Merges one table's partial rows (past the threshold) into one row per bucket and key, the
   * tables taken in turn. One per sync: a service's writes wait for a sync, and the tables tend
   * to cross the threshold together.
   */
  private async mergeOneDue(): Promise<boolean> {
    const tables = ROLLUPS;
    for (let k = 0; k < tables.length; k++) {
      const def = tables[(this.mergeTurn + k) % tables.length]!;
      const u = this.unmerged.get(def.table);
      const due = Math.min(this.mergeAfterRows, Math.max(MERGE_MIN_ROWS, u ? u.base * MERGE_FRACTION : 0));
      if (!u || u.rows < due) continue;
      this.mergeTurn = (this.mergeTurn + k + 1) % tables.length;
      await this.merge(def, u);
      return true;
    }
    return false;
  }

  private async merge(def: RollupDef, u: Unmerged): Promise<void> {
    const where = bucketsSql(
      Number.isFinite(u.lo) ? u.lo : undefined,
      Number.isFinite(u.hi) ? u.hi : undefined,
      u.nulls,
    );
    if (!where) return;
    await this.con.run('BEGIN TRANSACTION');
    try {
      await this.con.run(
        `CREATE OR REPLACE TEMP TABLE rollup_merged AS ${aggregateRollupSql(def, def.table, where)}`,
      );
      await this.con.run(`DELETE FROM ${def.table} WHERE ${where}`);
      await this.con.run(`INSERT INTO ${def.table} SELECT * FROM rollup_merged`);
      await this.con.run('DROP TABLE temp.rollup_merged');
      await this.con.run('COMMIT');
      this.unmerged.delete(def.table);
    } catch (err) {
      await this.con.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}

function bucketOf(t: number, grain: number): number {
  return grain === ALL_TIME ? 0 : Math.floor(t / grain) * grain;
}

/** A condition on the bucket column for [lo, hi] and the NULL bucket; undefined when empty. */
function bucketsSql(lo: number | undefined, hi: number | undefined, nulls: boolean): string | undefined {
  const parts: string[] = [];
  if (lo !== undefined && hi !== undefined) parts.push(`${BUCKET_COLUMN} BETWEEN ${lo} AND ${hi}`);
  if (nulls) parts.push(`${BUCKET_COLUMN} IS NULL`);
  return parts.length ? `(${parts.join(' OR ')})` : undefined;
}
