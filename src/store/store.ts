import { existsSync } from 'node:fs';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { FlowBatch } from '../batch/flow-batch.js';
import { DirectAppender, supportedType, type TableColumn } from './append.js';
import {
  CODED_COLUMNS,
  type CodedColumn,
  codeColumn,
  decodeByListSql,
  encodeSql,
  isCodedColumn,
} from './coded.js';
import { CID_COLUMN, CID_HI, CID_LO, communityIdPartsSql } from './community-id.js';
import { DIM_BY_CODE_COLUMN, DIM_BY_FIELD, DIM_TABLES, SOURCES } from './dim-tables.js';
import { DimDictionary, type DimValues } from './dims.js';
import {
  codedAsText,
  type EncodeContext,
  type EncodedBatch,
  type EncodedColumn,
  encodeBatch,
} from './encode.js';
import { getMeta, migrateStore, PACKED_FIELDS_KEY, setMeta } from './migrations.js';
import {
  PACKED_COLUMN,
  PACKED_MARK,
  packedComment,
  packedEntries,
  packedIndex,
  packedKey,
} from './packed.js';
import { plainRow } from './plain-rows.js';
import { RollupSync } from './rollup-sync.js';
import { createRollupSql, ROLLUP_ROWS_KEY, ROLLUPS, rollupColumns } from './rollups.js';
import {
  ADDR_PAIR_COLUMN,
  ADDR_PAIR_TYPE,
  addrPairSql,
  ENRICHMENT_TYPES,
  FIELD_COLUMNS,
  flowsSelectSql,
  flowsViewSql,
  MACROS_SQL,
  quoteIdent,
  quoteText,
  RECORDS_TABLE,
  SOURCE_CODE_COLUMN,
} from './schema.js';
import {
  dedupInsertSql,
  foldedColumns,
  type PlainInsert,
  packableColumns,
  storedShape,
} from './staged-shape.js';
import {
  POSITION_COLUMN,
  RECORD_ID_COLUMN,
  type SealedChunk,
  type StagedColumn,
  Staging,
} from './staging.js';
import { StoreError } from './store-error.js';
import { uidHighWords, uidRange, uidSql } from './uid.js';
import type { QueryParam, QueryRow } from './wire.js';

export const DEFAULT_DB = './flowlens.duckdb';

export { StoreError };

export interface OpenOptions {
  /** Create the file and the `flows` table when missing (ingest); otherwise a missing file is an error. */
  readonly create?: boolean;
  readonly readOnly?: boolean;
  /** DuckDB's memory_limit in MB (default: DuckDB's, 80% of RAM). */
  readonly memoryMb?: number;
}

/** How the ingest side opens the store. */
export interface StoreSettings {
  /** DuckDB's memory_limit in MB; see the sink's `store-memory-mb`. */
  readonly memoryMb?: number;
  /** Partial rollup rows gathered before a merge (rollup-sync.ts; default 100,000). */
  readonly rollupMergeRows?: number;
}

/** Opens a DuckDB database file, with errors that say which file and why. */
export async function openDatabase(path: string, options: OpenOptions = {}): Promise<DuckDBInstance> {
  if (path !== ':memory:' && !options.create && !existsSync(path)) {
    throw new StoreError(`no store at ${path} (run 'flowlens ingest <input>' first, or pass --db PATH)`);
  }
  try {
    const config: Record<string, string> = options.readOnly ? { access_mode: 'READ_ONLY' } : {};
    if (options.memoryMb !== undefined) config.memory_limit = `${options.memoryMb}MB`;
    return await DuckDBInstance.create(path, config);
  } catch (err) {
    throw new StoreError(`cannot open store ${path}: ${describeOpenError(err)}`);
  }
}

function describeOpenError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/lock/i.test(msg)) return 'it is in use by another process (a running ingest?)';
  if (/not a valid DuckDB database|invalid.*database|Corrupt/i.test(msg)) return 'not a DuckDB database file';
  return msg.split('\n')[0]!;
}

/** One input on its way into `flows`. */
interface InputState {
  readonly sourceId: string;
  readonly context: EncodeContext;
  began: boolean;
  /** The store already holds records of this input: stage, then insert only unknown uids. */
  dedup: boolean;
  direct: DirectAppender | undefined;
  staging: Staging | undefined;
  staged: number;
  /** Coded columns (coded.ts) some staged batch had a value without a code for. */
  readonly uncodable: Set<string>;
}

/**
 * The embedded analytics store: the `flows` table in a DuckDB file.
 *
 * Each input is one transaction: it commits at the input's end and rolls back if the input
 * fails, so a failed input leaves the store as it was. An input the store holds no record of
 * (no uid with its source prefix) is appended straight into `flows` through DuckDB's appender,
 * columnar. An input it has seen (a re-ingest) is staged in a TEMP table and inserted with an
 * anti-join on `uid`, so records already stored are skipped and totals do not change.
 */
export class FlowStore {
  private readonly inputs = new Map<string, InputState>();
  private nextStage = 1;
  /** Stored columns of `flows` in table order (the generated `record_uid` left out). */
  private columns: TableColumn[] = [];
  private types = new Map<string, string>();
  /**
   * The input whose transaction is open; others wait their turn. The run loop ends one input
   * before starting the next, so in practice nobody waits.
   */
  private owner: InputState | undefined;
  /** The connection `query` reads through, opened on first use. */
  private reader: DuckDBConnection | undefined;
  private readonly waiters: Array<() => void> = [];
  /** DuckDB's thread count while set for direct appends (undefined: DuckDB's default). */
  private threads: number | undefined;
  /** The per-store dictionaries (dims.ts), by side table. */
  private readonly dims = new Map(DIM_TABLES.map((d) => [d.table, new DimDictionary(d)]));
  private readonly rollups: RollupSync;
  /** Callers of `syncRollups` waiting for the open input to end. */
  private afterInput: Array<{ resolve(added: number): void; reject(err: unknown): void }> = [];

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    readonly con: DuckDBConnection,
    settings: StoreSettings,
  ) {
    this.rollups = new RollupSync(
      con,
      settings.rollupMergeRows === undefined ? {} : { mergeAfterRows: settings.rollupMergeRows },
    );
  }

  static async open(path: string, settings: StoreSettings = {}): Promise<FlowStore> {
    const instance = await openDatabase(path, {
      create: true,
      ...(settings.memoryMb !== undefined ? { memoryMb: settings.memoryMb } : {}),
    });
    let con: DuckDBConnection | undefined;
    try {
      con = await instance.connect();
      // FSST's analysis of every string column is about a tenth of an ingest's CPU and saves
      // about 4% of the file here (dictionary compression does most of it): skipped.
      await con.run(`SET disabled_compression_methods = 'fsst'`);
      // DuckDB compresses and writes an ingest's row groups five at a time by default, and the
      // ones still buffered at COMMIT: one at a time spreads that work over the appends instead
      // of a pause of several row groups (about 150 ms per 1M records at the commit alone).
      await con.run('SET write_buffer_row_group_count = 1');
      // the format: created, or brought up to this flowlens's version in order (migrations.ts)
      await migrateStore(con, path);
      for (const sql of MACROS_SQL) await con.run(sql);
      const store = new FlowStore(path, instance, con, settings);
      await store.loadColumns();
      await store.loadDims();
      await con.run(flowsViewSql(store.types));
      await store.createRollups();
      return store;
    } catch (err) {
      con?.closeSync();
      instance.closeSync();
      throw new StoreError(
        `store ${path}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
    }
  }

  /**
   * Opens an input's transaction (on its first batch) and says whether the store already holds
   * records of it: then its batches must come through `append` (staged, de-duplicated); else
   * `appendEncoded` may be used.
   */
  async beginInput(sourceId: string): Promise<boolean> {
    const input = this.input(sourceId);
    if (!input.began) await this.begin(input);
    return input.dedup;
  }

  /** Appends one batch of an input. */
  async append(batch: FlowBatch): Promise<void> {
    if (batch.length === 0) return;
    const input = this.input(batch.source.id);
    if (!input.began) await this.begin(input);
    if (!input.dedup) {
      await this.appendEncoded(encodeBatch(batch, input.context, this.types));
      return;
    }
    await this.checkCodable(batch, input);
    input.staged += batch.length;
    input.staging ??= await Staging.create(this.con, this.nextStage++, { catalog: 'temp' });
    await input.staging.append(batch);
  }

  /** Appends an encoded batch of an input the store holds nothing of (see `beginInput`). */
  async appendEncoded(batch: EncodedBatch): Promise<void> {
    if (batch.length === 0) return;
    const input = this.input(batch.sourceId);
    if (!input.began) await this.begin(input);
    if (input.dedup)
      throw new StoreError(`${batch.sourceId}: records already stored; append batches, not encoded ones`);
    input.staged += batch.length;
    await this.addColumnsFor(batch, input);
    // Per side table: the batch's tuples mapped to the store's codes (see DimDictionary.resolve).
    const mapped = new Map<DimDictionary, Map<DimValues, Uint32Array>>();
    for (const [name, col] of batch.columns) {
      const def = DIM_BY_CODE_COLUMN.get(name);
      if (!def || !col.dimValues) continue;
      const dict = this.dims.get(def.dim.table)!;
      let maps = mapped.get(dict);
      if (!maps) {
        maps = new Map();
        mapped.set(dict, maps);
      }
      await dict.resolve(this.con, col, maps);
    }
    input.direct ??= await DirectAppender.open(
      this.con,
      RECORDS_TABLE,
      this.columns,
      input.sourceId,
      await this.sourceCode(input.sourceId),
    );
    input.direct.append(this.textWhereStoredAsText(batch));
  }

  private input(sourceId: string): InputState {
    let input = this.inputs.get(sourceId);
    if (!input) {
      input = {
        sourceId,
        context: { uidHigh: uidHighWords(sourceId), ingestedAt: Date.now() * 1000 },
        began: false,
        dedup: false,
        direct: undefined,
        staging: undefined,
        staged: 0,
        uncodable: new Set(),
      };
      this.inputs.set(sourceId, input);
    }
    return input;
  }

  /** Ends an input: its records are committed; returns the rows it had and the rows added. */
  async commit(sourceId: string): Promise<{ staged: number; added: number }> {
    const input = this.inputs.get(sourceId);
    if (!input) return { staged: 0, added: 0 };
    try {
      let added = 0;
      if (input.direct) {
        input.direct.close();
        input.direct = undefined;
        added = input.staged;
      }
      if (input.staging) {
        const chunk = await input.staging.seal();
        if (chunk) {
          await this.addStagedColumns(chunk, input.uncodable);
          const staged = new Set(chunk.columns.map((c) => c.name));
          const folded = foldedColumns(staged, this.types, input.uncodable).fields;
          const plain = insertSql(chunk, sourceId, this.types, folded, await this.sourceCode(sourceId));
          if (await this.needsCommunityIdText(plain)) {
            await this.con.run(`ALTER TABLE ${RECORDS_TABLE} ADD COLUMN ${quoteIdent(CID_COLUMN)} VARCHAR`);
            await this.loadColumns();
            await this.con.run(flowsViewSql(this.types));
          }
          const shaped = storedShape(plain, this.types, input.uncodable);
          for (const sql of shaped.prelude) await this.con.run(sql);
          added += (await this.con.run(dedupInsertSql(shaped, sourceId))).rowsChanged;
          // The side tables changed by SQL: the worker's copy of them is reloaded.
          if (shaped.prelude.length > 0) await this.loadDims();
        }
        await input.staging.drop();
        input.staging = undefined;
      }
      if (input.began) {
        await this.con.run('COMMIT');
        input.began = false;
        await this.syncAsked();
        this.release(input);
      }
      return { staged: input.staged, added };
    } catch (err) {
      await this.rollback(input);
      throw err;
    } finally {
      this.inputs.delete(sourceId);
      await this.loadColumns().catch(() => undefined);
    }
  }

  /** Forgets an input's records: `flows` is left as it was before the input. */
  async abort(sourceId: string): Promise<void> {
    const input = this.inputs.get(sourceId);
    if (!input) return;
    this.inputs.delete(sourceId);
    await this.rollback(input);
    await this.loadColumns().catch(() => undefined);
  }

  /** The input's code in the source dictionary (dims.ts), when the table stores codes. */
  private async sourceCode(sourceId: string): Promise<number | undefined> {
    if (!this.types.has(SOURCE_CODE_COLUMN)) return undefined;
    return this.dims.get(SOURCES.table)!.codeOf(this.con, sourceId);
  }

  /** The columns of the `flows` view with their types. */
  private async flowsColumns(): Promise<Map<string, string>> {
    const r = await this.con.runAndReadAll(
      `SELECT column_name, data_type FROM information_schema.columns
       WHERE table_name = 'flows' AND table_schema = 'main' AND table_catalog = current_database()`,
    );
    return new Map(r.getRowsJS().map((row) => [String(row[0]), String(row[1])]));
  }

  /**
   * Creates the rollup tables (rollups.ts). A store that has records but not the rollups of
   * this version (missing, with other columns, or without their watermark) gets them built
   * from `flows` once.
   */
  private async createRollups(): Promise<void> {
    const r = await this.con.runAndReadAll(
      `SELECT table_name, list(column_name || ' ' || data_type ORDER BY ordinal_position) FROM information_schema.columns
       WHERE table_name IN (${ROLLUPS.map((d) => quoteText(d.table)).join(', ')})
       AND table_schema = 'main' AND table_catalog = current_database() GROUP BY 1`,
    );
    const existing = new Map(r.getRowsJS().map((row) => [String(row[0]), (row[1] as unknown[]).map(String)]));
    const stale = ROLLUPS.filter((d) => existing.get(d.table)?.join(',') !== rollupColumns(d).join(','));
    if (stale.length === 0 && (await getMeta(this.con, ROLLUP_ROWS_KEY)) !== null) return;
    await this.con.run('BEGIN TRANSACTION');
    try {
      for (const def of ROLLUPS) {
        await this.con.run(`DROP TABLE IF EXISTS ${def.table}`);
        await this.con.run(createRollupSql(def));
      }
      await this.rollups.reset();
      await this.con.run('COMMIT');
    } catch (err) {
      await this.con.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
    await this.syncRollups();
  }

  /**
   * Brings the rollups up to every committed record (rollup-sync.ts): right away when no
   * input is open, else as soon as the open input commits or aborts. Returns the records added.
   */
  syncRollups(): Promise<number> {
    if (this.owner) {
      return new Promise<number>((resolve, reject) => this.afterInput.push({ resolve, reject }));
    }
    return this.runRollupSync();
  }

  /** True while an input's transaction is open (a `syncRollups` now waits for it). */
  get inputOpen(): boolean {
    return this.owner !== undefined;
  }

  private async runRollupSync(): Promise<number> {
    const columns = new Set((await this.flowsColumns()).keys());
    return this.rollups.run((from) => flowsSelectSql(this.types, from), columns);
  }

  /** Reloads the dictionaries the worker keeps in memory (the source one is looked up per input). */
  private async loadDims(): Promise<void> {
    for (const d of this.dims.values()) if (d.dim !== SOURCES) await d.load(this.con);
  }

  /**
   * Whether a staged input holds community ids that are not canonical (community-id.ts) while
   * the table has no text column for them yet.
   */
  private async needsCommunityIdText(plain: PlainInsert): Promise<boolean> {
    if (!this.types.has(CID_HI) || this.types.has(CID_COLUMN) || !plain.cols.includes(CID_COLUMN))
      return false;
    const parts = communityIdPartsSql(`x.${quoteIdent(CID_COLUMN)}`);
    const r = await this.con.runAndReadAll(
      `SELECT EXISTS (SELECT 1 FROM (${plain.select}) x WHERE x.${quoteIdent(CID_COLUMN)} IS NOT NULL AND ${parts.lo} IS NULL)`,
    );
    return r.getRowsJS()[0]![0] === true;
  }

  /**
   * A read query on a connection of its own: it sees committed inputs only, never the one
   * being appended. Rows come as plain values (store/plain-rows.ts), the form the dashboard reads.
   */
  async query(sql: string, params: readonly QueryParam[] = []): Promise<QueryRow[]> {
    this.reader ??= await this.instance.connect();
    const r = await this.reader.runAndReadAll(sql, params.length ? [...params] : undefined);
    return r.getRowObjectsJS().map(plainRow);
  }

  async close(): Promise<void> {
    this.reader?.closeSync();
    this.reader = undefined;
    for (const id of [...this.inputs.keys()]) await this.abort(id).catch(() => undefined);
    try {
      // What this process committed goes into the rollups once, at the end (not per input).
      await this.syncRollups();
      await this.con.run('CHECKPOINT');
    } finally {
      this.con.closeSync();
      this.instance.closeSync();
    }
  }

  /**
   * Adds `flow_records` columns for batch columns it lacks (unknown fields, enrichments), and
   * turns coded columns into text where the batch carries a value without a code.
   */
  private async addColumnsFor(batch: EncodedBatch, input: InputState): Promise<void> {
    const missing = batch.columns.filter(([name]) => !this.types.has(name));
    const uncoded = batch.columns.filter(([name, col]) => {
      const type = this.types.get(name);
      return type !== undefined && type !== col.type && isCodedColumn(name, type);
    });
    const packed = batch.columns.find(([name]) => name === PACKED_COLUMN)?.[1].packed ?? [];
    const newlyPacked = packed.filter((f) => !this.types.has(packedKey(f)));
    if (missing.length === 0 && uncoded.length === 0 && newlyPacked.length === 0) return;
    // The appender is bound to the table's columns: close it, change the table, reopen.
    input.direct?.close();
    input.direct = undefined;
    for (const [name, col] of missing) {
      await this.con.run(`ALTER TABLE ${RECORDS_TABLE} ADD COLUMN ${quoteIdent(name)} ${col.type}`);
    }
    for (const [name] of uncoded) await this.uncode(CODED_COLUMNS.get(name)!);
    if (newlyPacked.length > 0) await this.listPacked(newlyPacked);
    await this.loadColumns();
    await this.con.run(flowsViewSql(this.types));
  }

  /** Adds fields to those `packed_codes` holds (listed in flowlens_meta, see packed.ts), in the open transaction. */
  private async listPacked(fields: readonly string[]): Promise<void> {
    const listed = [...this.types.keys()].filter((k) => this.types.get(k) === PACKED_MARK);
    const all = [...listed.map((k) => k.slice(PACKED_COLUMN.length + 1)), ...fields];
    await setMeta(this.con, PACKED_FIELDS_KEY, packedComment(all));
  }

  /** Coded columns of a batch whose table column is text (converted earlier) go as text. */
  private textWhereStoredAsText(batch: EncodedBatch): EncodedBatch {
    let changed = false;
    const columns = batch.columns.map(([name, col]): readonly [string, EncodedColumn] => {
      const def = CODED_COLUMNS.get(name);
      if (!def || col.type !== def.type || this.types.get(name) !== def.textType) return [name, col];
      changed = true;
      return [name, codedAsText(def, col, batch.length)];
    });
    return changed ? { ...batch, columns } : batch;
  }

  /** A coded column becomes text (its values, as `flows` shows them), inside the open transaction. */
  private async uncode(def: CodedColumn): Promise<void> {
    const col = quoteIdent(def.name);
    await this.con.run(
      `ALTER TABLE ${RECORDS_TABLE} ALTER COLUMN ${col} SET DATA TYPE ${def.textType} USING ${decodeByListSql(def, col)}`,
    );
  }

  /** Staged path: a coded column meeting a value without a code is (or will be created as) text. */
  private async checkCodable(batch: FlowBatch, input: InputState): Promise<void> {
    for (const def of CODED_COLUMNS.values()) {
      const col = batch.column(def.name);
      if (!col || input.uncodable.has(def.name) || codeColumn(def, col, batch.length)) continue;
      input.uncodable.add(def.name);
      if (isCodedColumn(def.name, this.types.get(def.name) ?? '')) {
        await this.uncode(def);
        await this.loadColumns();
        await this.con.run(flowsViewSql(this.types));
      }
    }
  }

  private async addStagedColumns(chunk: SealedChunk, uncodable: ReadonlySet<string>): Promise<void> {
    let added = false;
    const addedDims = new Set<string>();
    const staged = new Set(chunk.columns.map((c) => c.name));
    // Columns packed into packed_codes (packed.ts) need no column of their own.
    const packable = new Set(packableColumns(staged, uncodable));
    const add = async (name: string, type: string): Promise<void> => {
      await this.con.run(`ALTER TABLE ${RECORDS_TABLE} ADD COLUMN ${quoteIdent(name)} ${type}`);
      added = true;
    };
    for (const c of chunk.columns) {
      if (c.name === RECORD_ID_COLUMN || this.types.has(c.name)) continue;
      // Stored as the direct path stores them (community-id.ts, dims.ts).
      if (c.name === CID_COLUMN && c.kind !== 'num' && !c.list) {
        if (!this.types.has(CID_HI)) {
          await add(CID_HI, 'UHUGEINT');
          await add(CID_LO, 'UINTEGER');
        }
        continue;
      }
      const dim = DIM_BY_FIELD.get(c.name);
      if (dim) {
        if (!this.types.has(dim.name) && !addedDims.has(dim.name)) await add(dim.name, 'UINTEGER');
        addedDims.add(dim.name);
        continue;
      }
      if (packable.has(c.name)) {
        if (!this.types.has(PACKED_COLUMN) && !addedDims.has(PACKED_COLUMN)) {
          await add(PACKED_COLUMN, ENRICHMENT_TYPES[PACKED_COLUMN]!);
        }
        addedDims.add(PACKED_COLUMN);
        continue;
      }
      const coded = CODED_COLUMNS.get(c.name);
      const codable = coded && c.kind !== 'num' && c.list === (coded.textType === 'VARCHAR[]');
      await add(
        c.name,
        codable && !uncodable.has(c.name) ? coded.type : columnType(c.name, c.list, c.kind === 'num'),
      );
    }
    if (staged.has('srcaddr') && staged.has('dstaddr') && !this.types.has(ADDR_PAIR_COLUMN)) {
      await add(ADDR_PAIR_COLUMN, ADDR_PAIR_TYPE);
    }
    // Every packable column staged is packed once the table has packed_codes (staged-shape.ts).
    if (this.types.has(PACKED_COLUMN) || addedDims.has(PACKED_COLUMN)) {
      const newlyPacked = [...packable].filter((f) => !this.types.has(packedKey(f)));
      if (newlyPacked.length > 0) {
        if (added) await this.loadColumns();
        await this.listPacked(newlyPacked);
        added = true;
      }
    }
    if (added) {
      await this.loadColumns();
      await this.con.run(flowsViewSql(this.types));
    }
  }

  /** Opens the input's transaction (waiting for another input's to end) and checks for its records. */
  private async begin(input: InputState): Promise<void> {
    while (this.owner && this.owner !== input) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.owner = input;
    await this.con.run('BEGIN TRANSACTION');
    input.began = true;
    const [lo, hi] = uidRange(input.sourceId);
    const r = await this.con.runAndReadAll(
      `SELECT EXISTS (SELECT 1 FROM ${RECORDS_TABLE} WHERE uid BETWEEN ${lo} AND ${hi})`,
    );
    // A table with columns the appender cannot fill (changed by hand) takes the staged path.
    input.dedup = r.getRowsJS()[0]![0] === true || !this.columns.every((c) => supportedType(c.type));
    await this.useThreads(input.dedup ? undefined : 1);
  }

  /**
   * Direct appends run on the calling thread (the appender), so DuckDB's own threads have
   * little to do but poll for the commit's tasks, and that polling competes with decoding for
   * the cores (measured: about 0.5 s less CPU per 1M records with one thread, the same wall
   * time or better). A staged re-ingest is an INSERT … SELECT, which uses every thread.
   */
  private async useThreads(threads: number | undefined): Promise<void> {
    if (threads === this.threads) return;
    await this.con.run(threads === undefined ? 'RESET threads' : `SET threads = ${threads}`);
    this.threads = threads;
  }

  private release(input: InputState): void {
    if (this.owner !== input) return;
    this.owner = undefined;
    this.waiters.shift()?.();
  }

  /** Runs the rollup sync asked for while the input was open, before the next input begins. */
  private async syncAsked(): Promise<void> {
    const asked = this.afterInput.splice(0);
    if (asked.length === 0) return;
    try {
      const added = await this.runRollupSync();
      for (const a of asked) a.resolve(added);
    } catch (err) {
      for (const a of asked) a.reject(err);
    }
  }

  /** Rolls the input's transaction back: appended rows and staging tables go with it. */
  private async rollback(input: InputState): Promise<void> {
    try {
      input.direct?.close();
    } catch {
      // Rolled back below either way.
    }
    input.direct = undefined;
    await input.staging?.drop().catch(() => undefined);
    input.staging = undefined;
    if (!input.began) return;
    input.began = false;
    await this.con.run('ROLLBACK').catch(() => undefined);
    // Dictionary entries the input added are gone with it.
    await this.loadDims().catch(() => undefined);
    await this.syncAsked();
    this.release(input);
  }

  private async loadColumns(): Promise<void> {
    const reader = await this.con.runAndReadAll(
      `SELECT column_name, data_type FROM information_schema.columns
       WHERE table_name = '${RECORDS_TABLE}' AND table_schema = 'main' AND table_catalog = current_database()
       ORDER BY ordinal_position`,
    );
    this.columns = reader.getRowsJS().map((r) => ({ name: String(r[0]), type: String(r[1]) }));
    this.types = new Map(this.columns.map((c) => [c.name, c.type]));
    // The fields packed_codes holds are listed in flowlens_meta (packed.ts).
    if (this.types.has(PACKED_COLUMN)) {
      for (const [key, mark] of packedEntries(await getMeta(this.con, PACKED_FIELDS_KEY)))
        this.types.set(key, mark);
    }
  }
}

const FIELD_TYPES = new Map(FIELD_COLUMNS.map((c) => [c.name, c.type]));

/** The type a new column gets: the catalog's for fields, flowlens's for known enrichments, else by kind. */
function columnType(name: string, list: boolean, numeric: boolean): string {
  return (
    FIELD_TYPES.get(name) ?? ENRICHMENT_TYPES[name] ?? (list ? 'VARCHAR[]' : numeric ? 'DOUBLE' : 'VARCHAR')
  );
}

/**
 * The SELECT over a staging chunk: dictionary codes joined back to text, NaN to NULL, types
 * converted to the table's, times and uid derived. Community ids and dictionary columns are
 * still text here: storedShape (staged-shape.ts) turns them into their stored form.
 */
function insertSql(
  chunk: SealedChunk,
  sourceId: string,
  types: Map<string, string>,
  /** Columns storedShape turns into codes: kept as values here, whatever the table's column. */
  folded: ReadonlySet<string>,
  sourceCode: number | undefined,
): PlainInsert {
  const joins: string[] = [];
  const cols: string[] = [];
  const exprs: string[] = [];
  let rid: string | undefined;
  let src: string | undefined;
  let dst: string | undefined;
  for (const c of chunk.columns) {
    if (c.name === RECORD_ID_COLUMN) {
      rid = `s.${c.stageName}`;
      continue;
    }
    let value = `s.${c.stageName}`;
    if (c.kind === 'code') {
      const alias = `d${joins.length}`;
      joins.push(`LEFT JOIN ${chunk.dictTable} ${alias} ON ${alias}.code = s.${c.stageName}`);
      value = `${alias}.value`;
    }
    const asValue = folded.has(c.name);
    const coded = c.kind === 'num' || asValue ? undefined : isCodedColumn(c.name, types.get(c.name) ?? '');
    const target = (asValue ? undefined : types.get(c.name)) ?? columnType(c.name, c.list, c.kind === 'num');
    // Packed columns stay as staged (lists joined), the form packedSql codes (packed.ts).
    const raw = asValue && packedIndex(c.name) >= 0 && c.kind !== 'num';
    const expr = coded ? encodeSql(coded, value) : raw ? value : convert(value, c, target);
    cols.push(c.name);
    exprs.push(expr);
    if (c.name === 'srcaddr') src = expr;
    if (c.name === 'dstaddr') dst = expr;
  }
  if (src && dst && types.has(ADDR_PAIR_COLUMN)) {
    cols.push(ADDR_PAIR_COLUMN);
    exprs.push(addrPairSql(src, dst));
  }
  const pos = `s.${POSITION_COLUMN}`;
  const uid = uidSql(sourceId, pos, rid);
  // start_time/end_time are not stored: `flows` computes them (schema.ts DERIVED_TIMES).
  cols.push('uid', sourceCode === undefined ? 'source' : SOURCE_CODE_COLUMN, 'position', 'ingested_at');
  exprs.push(
    uid,
    sourceCode === undefined ? quoteText(sourceId) : `CAST(${sourceCode} AS UINTEGER)`,
    `CAST(${pos} AS BIGINT)`,
    `make_timestamp(${Date.now() * 1000})`,
  );
  const select = `SELECT ${exprs.map((e, i) => `${e} AS ${quoteIdent(cols[i]!)}`).join(',\n  ')}
FROM ${chunk.table} s
${joins.join('\n')}`;
  return { cols, select };
}

/** SQL converting a staged value to a column type (`flows`, or the lake's AWS types). */
export function convert(value: string, c: StagedColumn, target: string): string {
  const numeric = /^(INTEGER|BIGINT|DOUBLE|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|FLOAT)$/.test(target);
  if (c.kind === 'num') {
    const v = `CASE WHEN isnan(${value}) THEN NULL ELSE ${value} END`;
    if (numeric) return target === 'DOUBLE' ? v : `TRY_CAST(${v} AS ${target})`;
    if (target === 'VARCHAR') {
      return `CASE WHEN isnan(${value}) THEN NULL WHEN ${value} = trunc(${value}) AND abs(${value}) < 9e15 THEN CAST(CAST(${value} AS BIGINT) AS VARCHAR) ELSE CAST(${value} AS VARCHAR) END`;
    }
    return `TRY_CAST(${v} AS ${target})`;
  }
  if (target.endsWith('[]')) {
    return c.list
      ? `CASE WHEN ${value} = '' THEN CAST([] AS ${target}) ELSE string_split(${value}, chr(31)) END`
      : `CASE WHEN ${value} IS NULL THEN NULL ELSE [${value}] END`;
  }
  if (target === 'VARCHAR') return c.list ? `replace(${value}, chr(31), ',')` : value;
  return `TRY_CAST(${value} AS ${target})`;
}
