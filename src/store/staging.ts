import {
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBType,
  type DuckDBVarCharVector,
  UINTEGER,
  VARCHAR,
} from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';
import type { Column, FlowBatch } from '../batch/flow-batch.js';
import { cellAt } from '../batch/flow-batch.js';

/**
 * Records on their way into a table by INSERT … SELECT: the store's re-ingest path (staged,
 * then inserted with an anti-join on uid) and the lake's per-input buffer. Batches are appended
 * column by column into a staging table, sealed as a chunk when the input ends.
 *
 * Numbers go in as DOUBLE (NaN = null, converted at commit), copied straight from the batch's
 * Float64Array. Strings go in as UINTEGER codes into a per-input dictionary table, so each
 * distinct string crosses into DuckDB once; columns where nearly every value differs
 * (record ids) go in as VARCHAR. Lists are joined with U+001F and dictionary-coded.
 */

export type StagedKind = 'num' | 'code' | 'text';

export interface StagedColumn {
  /** The column name in `flows`. */
  readonly name: string;
  /** Column name in the staging table (a safe identifier). */
  readonly stageName: string;
  readonly kind: StagedKind;
  /** The batch column was a list: the value is joined with U+001F. */
  readonly list: boolean;
}

export const POSITION_COLUMN = '_pos';
/** Staged name of the source-native record ids (never a `flows` column). */
export const RECORD_ID_COLUMN = '\u0000record_id';
const LIST_SEPARATOR = '\u001f';

const VECTOR_SIZE = 2048;
/** Past this many distinct strings the lookup map starts afresh, so memory stays bounded. */
const MAX_DICT_ENTRIES = 200_000;
const SQL_TYPE: Record<StagedKind, DuckDBType> = { num: DOUBLE, code: UINTEGER, text: VARCHAR };

/** A staging table closed for appends, ready to be moved into its destination. */
export interface SealedChunk {
  /** Qualified table name. */
  readonly table: string;
  /** Qualified dictionary table name (shared by the input's chunks). */
  readonly dictTable: string;
  readonly columns: readonly StagedColumn[];
  readonly rows: number;
}

export interface StagingOptions {
  /** Catalog holding the tables (an in-memory database: `memory`, or one attached to the store). */
  readonly catalog: string;
  /** Stage record fields only, no enrichment columns (the lake). */
  readonly fieldsOnly?: boolean;
}

export class Staging {
  readonly columns: StagedColumn[] = [];
  /** Rows appended over the input's life. */
  rows = 0;
  /** Rows in the current (unsealed) chunk table. */
  chunkRows = 0;
  hasRecordIds = false;
  private readonly byName = new Map<string, StagedColumn>();
  private readonly dict = new Map<string, number>();
  private nextCode = 1;
  private chunkSeq = 0;
  private appender: DuckDBAppender | undefined;
  /** Dictionary entries made by the current batch, written when it is appended. */
  private readonly newCodes: number[] = [];
  private readonly newValues: string[] = [];
  private types: DuckDBType[] = [DOUBLE];
  private current = '';

  private constructor(
    private readonly con: DuckDBConnection,
    private readonly base: string,
    private readonly options: StagingOptions,
  ) {}

  get table(): string {
    return this.qualified(this.current);
  }

  get dictTable(): string {
    return this.qualified(`${this.base}_dict`);
  }

  static async create(con: DuckDBConnection, id: number, options: StagingOptions): Promise<Staging> {
    const s = new Staging(con, `flowlens_stage_${id}`, options);
    await con.run(`CREATE OR REPLACE ${s.tableKind} ${s.dictTable} (code UINTEGER, value VARCHAR)`);
    await s.newChunkTable();
    return s;
  }

  async append(batch: FlowBatch): Promise<void> {
    if (batch.length === 0) return;
    await this.addColumnsOf(batch);
    if (!this.appender)
      this.appender = await this.con.createAppender(this.current, 'main', this.options.catalog);
    // One prepared source per staged column for the whole batch, then sliced per vector.
    const sources = this.columns.map((c) => this.prepare(c, batch));
    if (this.newCodes.length > 0) await this.writeDictionary();
    for (let off = 0; off < batch.length; off += VECTOR_SIZE) {
      const n = Math.min(VECTOR_SIZE, batch.length - off);
      const chunk = DuckDBDataChunk.create(this.types, n);
      copyNumbers(chunk, 0, batch.positions, off, n);
      for (let c = 0; c < this.columns.length; c++) {
        const src = sources[c]!;
        if (src instanceof Float64Array) copyNumbers(chunk, c + 1, src, off, n);
        else if (src instanceof Uint32Array) copyCodes(chunk, c + 1, src, off, n);
        else writeText(chunk, c + 1, src, off, n);
      }
      this.appender.appendDataChunk(chunk);
    }
    this.rows += batch.length;
    this.chunkRows += batch.length;
  }

  /**
   * Closes the current chunk table (everything appended, dictionary included, is committed and
   * visible to other connections) and starts a new one. Undefined when it holds no rows.
   */
  async seal(): Promise<SealedChunk | undefined> {
    this.flushAppenders();
    if (this.chunkRows === 0) return undefined;
    const sealed: SealedChunk = {
      table: this.table,
      dictTable: this.dictTable,
      columns: [...this.columns],
      rows: this.chunkRows,
    };
    await this.newChunkTable();
    return sealed;
  }

  /** Drops the current chunk table and the dictionary (sealed chunks are their owner's to drop). */
  async drop(): Promise<void> {
    try {
      this.appender?.closeSync();
    } catch {
      // The tables go anyway.
    }
    this.appender = undefined;
    await this.con.run(`DROP TABLE IF EXISTS ${this.table}`);
    await this.con.run(`DROP TABLE IF EXISTS ${this.dictTable}`);
  }

  /** Appends the new dictionary entries with a short-lived appender (closed, so committed to the transaction). */
  private async writeDictionary(): Promise<void> {
    const app = await this.con.createAppender(`${this.base}_dict`, 'main', this.options.catalog);
    try {
      for (let i = 0; i < this.newCodes.length; i++) {
        app.appendUInteger(this.newCodes[i]!);
        app.appendVarchar(this.newValues[i]!);
        app.endRow();
      }
      app.flushSync();
    } finally {
      app.closeSync();
    }
    this.newCodes.length = 0;
    this.newValues.length = 0;
  }

  private flushAppenders(): void {
    if (this.appender) {
      this.appender.flushSync();
      this.appender.closeSync();
      this.appender = undefined;
    }
  }

  private get tableKind(): string {
    return this.options.catalog === 'temp' ? 'TEMP TABLE' : 'TABLE';
  }

  private qualified(name: string): string {
    return `${this.options.catalog}.main.${name}`;
  }

  private async newChunkTable(): Promise<void> {
    this.current = `${this.base}_${this.chunkSeq++}`;
    this.chunkRows = 0;
    const cols = [
      `${POSITION_COLUMN} DOUBLE`,
      ...this.columns.map((c) => `${c.stageName} ${sqlName(c.kind)}`),
    ];
    await this.con.run(`CREATE OR REPLACE ${this.tableKind} ${this.table} (${cols.join(', ')})`);
  }

  /** Adds staging columns for columns this batch has and earlier ones did not. */
  private async addColumnsOf(batch: FlowBatch): Promise<void> {
    const added: StagedColumn[] = [];
    const consider = (name: string, kind: StagedKind, list: boolean): void => {
      if (this.byName.has(name)) return;
      const staged: StagedColumn = { name, stageName: `c${this.columns.length + added.length}`, kind, list };
      this.byName.set(name, staged);
      added.push(staged);
    };
    for (let i = 0; i < batch.fields.length; i++) {
      const col = batch.columns[i]!;
      consider(
        batch.fields[i]!.column,
        kindFor(batch.fields[i]!.column, col, batch.length),
        col.kind === 'list',
      );
    }
    if (!this.options.fieldsOnly) {
      for (const [name, col] of batch.extra) {
        // The store derives record_uid in SQL from the position (see uid.ts): not staged.
        if (name !== 'record_uid') consider(name, kindFor(name, col, batch.length), col.kind === 'list');
      }
    }
    if (batch.recordIds && !this.options.fieldsOnly) consider(RECORD_ID_COLUMN, 'text', false);
    if (added.length === 0) return;
    if (this.appender) {
      this.appender.flushSync();
      this.appender.closeSync();
      this.appender = undefined;
    }
    for (const c of added) {
      await this.con.run(`ALTER TABLE ${this.table} ADD COLUMN ${c.stageName} ${sqlName(c.kind)}`);
      this.columns.push(c);
    }
    this.hasRecordIds = this.byName.has(RECORD_ID_COLUMN);
    this.types = [DOUBLE, ...this.columns.map((c) => SQL_TYPE[c.kind])];
  }

  /** The batch's values for one staged column, in the staged representation. */
  private prepare(staged: StagedColumn, batch: FlowBatch): Float64Array | Uint32Array | (string | null)[] {
    const n = batch.length;
    const col = staged.name === RECORD_ID_COLUMN ? undefined : batch.column(staged.name);
    if (staged.kind === 'num') {
      if (col?.kind === 'num') return col.values;
      const out = new Float64Array(n).fill(Number.NaN);
      if (col) for (let i = 0; i < n; i++) out[i] = toNumber(cellAt(col, i));
      return out;
    }
    if (staged.name === RECORD_ID_COLUMN) {
      const ids = batch.recordIds;
      const out = new Array<string | null>(n);
      for (let i = 0; i < n; i++) out[i] = ids?.[i] ?? null;
      return out;
    }
    if (staged.kind === 'text') {
      const out = new Array<string | null>(n);
      for (let i = 0; i < n; i++) out[i] = col ? toText(cellAt(col, i)) : null;
      return out;
    }
    const codes = new Uint32Array(n);
    if (!col) return codes;
    if (col.kind === 'str') {
      const remap = new Uint32Array(col.dict.length);
      for (let d = 1; d < col.dict.length; d++) remap[d] = this.code(col.dict[d]!);
      const src = col.codes;
      for (let i = 0; i < n; i++) codes[i] = remap[src[i]!]!;
      return codes;
    }
    for (let i = 0; i < n; i++) {
      const text = toText(cellAt(col, i));
      codes[i] = text === null ? 0 : this.code(text);
    }
    return codes;
  }

  private code(value: string): number {
    let code = this.dict.get(value);
    if (code !== undefined) return code;
    if (this.dict.size >= MAX_DICT_ENTRIES) this.dict.clear();
    code = this.nextCode++;
    this.dict.set(value, code);
    this.newCodes.push(code);
    this.newValues.push(value);
    return code;
  }
}

function kindFor(name: string, col: Column, rows: number): StagedKind {
  if (col.kind === 'num') return 'num';
  if (col.kind === 'list') return 'code';
  // Ids unique per record gain nothing from a dictionary.
  if (name === 'record_uid' || (rows >= 256 && col.dict.length > rows * 0.7)) return 'text';
  return 'code';
}

function sqlName(kind: StagedKind): string {
  return kind === 'num' ? 'DOUBLE' : kind === 'code' ? 'UINTEGER' : 'VARCHAR';
}

function toNumber(v: ReturnType<typeof cellAt>): number {
  if (v === null) return Number.NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : Number.NaN;
  }
  return Number.NaN;
}

function toText(v: ReturnType<typeof cellAt>): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return v.join(LIST_SEPARATOR);
}

function copyNumbers(
  chunk: DuckDBDataChunk,
  column: number,
  src: Float64Array,
  off: number,
  n: number,
): void {
  const vec = bindings.data_chunk_get_vector(chunk.chunk, column);
  bindings.copy_data_to_vector(vec, 0, src.buffer as ArrayBuffer, src.byteOffset + off * 8, n * 8);
}

function copyCodes(chunk: DuckDBDataChunk, column: number, src: Uint32Array, off: number, n: number): void {
  const vec = bindings.data_chunk_get_vector(chunk.chunk, column);
  bindings.copy_data_to_vector(vec, 0, src.buffer as ArrayBuffer, src.byteOffset + off * 4, n * 4);
}

function writeText(
  chunk: DuckDBDataChunk,
  column: number,
  src: readonly (string | null)[],
  off: number,
  n: number,
): void {
  const vec = chunk.getColumnVector(column) as DuckDBVarCharVector;
  for (let i = 0; i < n; i++) vec.setItem(i, src[off + i] ?? null);
  vec.flush();
}
