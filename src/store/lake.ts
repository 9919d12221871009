import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { FlowBatch } from '../batch/flow-batch.js';
import { findField } from '../fields/catalog.js';
import { quoteIdent, quoteText } from './schema.js';
import { type SealedChunk, Staging } from './staging.js';
import { convert } from './store.js';

/**
 * Writes records as Parquet in Hive partitions `year=YYYY/month=MM/day=DD/hour=HH` (UTC) with
 * AWS's column names and types (int32 → INTEGER, int64 → BIGINT, else VARCHAR). Each input is
 * staged, then moved into a pending table at its end (a failed input never reaches the lake);
 * when the pending records reach `fileRecords`, DuckDB's COPY … PARTITION_BY writes one file per
 * partition. Tables live in an in-memory DuckDB that spills to a temp directory past its limit.
 */

export interface LakeWriterOptions {
  /** Local directory the Parquet files go to (for S3: a scratch directory, uploaded by the caller). */
  readonly dir: string;
  readonly partitionTime: 'end' | 'start';
  readonly fileRecords: number;
  /** Called with each file written (absolute path, path relative to `dir`). */
  readonly onFile?: (path: string, relativePath: string) => Promise<void>;
}

const PENDING = 'lake_pending';
const PARTS = ['year', 'month', 'day', 'hour'] as const;

export class LakeWriter {
  private readonly stagings = new Map<string, Staging>();
  private nextStage = 1;
  private readonly columns = new Map<string, string>();
  private pendingRows = 0;
  private flushes = 0;
  files = 0;
  records = 0;
  bytes = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly con: DuckDBConnection,
    private readonly options: LakeWriterOptions,
    private readonly spillDir: string,
  ) {}

  static async open(options: LakeWriterOptions): Promise<LakeWriter> {
    mkdirSync(options.dir, { recursive: true });
    const spillDir = mkdtempSync(join(tmpdir(), 'flowlens-lake-spill-'));
    const instance = await DuckDBInstance.create(':memory:', {
      temp_directory: spillDir,
      memory_limit: '512MB',
      threads: '2',
    });
    const con = await instance.connect();
    const parts = PARTS.map((p) => `${p} VARCHAR`).join(', ');
    await con.run(`CREATE TEMP TABLE ${PENDING} (${parts})`);
    return new LakeWriter(instance, con, options, spillDir);
  }

  async append(batch: FlowBatch): Promise<void> {
    let staging = this.stagings.get(batch.source.id);
    if (!staging) {
      staging = await Staging.create(this.con, this.nextStage++, { catalog: 'memory', fieldsOnly: true });
      this.stagings.set(batch.source.id, staging);
    }
    await staging.append(batch);
  }

  /** The input is complete: its records join the pending set, written out when it is big enough. */
  async endInput(sourceId: string): Promise<void> {
    const staging = this.stagings.get(sourceId);
    if (!staging) return;
    this.stagings.delete(sourceId);
    try {
      const chunk = await staging.seal();
      if (chunk) {
        try {
          await this.movePending(chunk);
        } finally {
          await this.con.run(`DROP TABLE IF EXISTS ${chunk.table}`);
        }
      }
    } finally {
      await staging.drop().catch(() => undefined);
    }
    if (this.pendingRows >= this.options.fileRecords) await this.flush();
  }

  async abortInput(sourceId: string): Promise<void> {
    const staging = this.stagings.get(sourceId);
    if (!staging) return;
    this.stagings.delete(sourceId);
    await staging.drop();
  }

  /** Writes every pending record; then closes. */
  async close(): Promise<void> {
    try {
      for (const id of [...this.stagings.keys()]) await this.abortInput(id);
      await this.flush();
    } finally {
      this.con.closeSync();
      this.instance.closeSync();
      rmSync(this.spillDir, { recursive: true, force: true });
    }
  }

  private async movePending(staging: SealedChunk): Promise<void> {
    const joins: string[] = [];
    const names: string[] = [];
    const exprs: string[] = [];
    for (const c of staging.columns) {
      const field = findField(c.name);
      const type = field?.type === 'int32' ? 'INTEGER' : field?.type === 'int64' ? 'BIGINT' : 'VARCHAR';
      if (!this.columns.has(c.name)) {
        await this.con.run(`ALTER TABLE ${PENDING} ADD COLUMN ${quoteIdent(c.name)} ${type}`);
        this.columns.set(c.name, type);
      }
      let value = `s.${c.stageName}`;
      if (c.kind === 'code') {
        const alias = `d${joins.length}`;
        joins.push(`LEFT JOIN ${staging.dictTable} ${alias} ON ${alias}.code = s.${c.stageName}`);
        value = `${alias}.value`;
      }
      names.push(c.name);
      exprs.push(convert(value, c, this.columns.get(c.name)!));
    }
    const timeCol = staging.columns.find((c) => c.name === this.options.partitionTime);
    const other = staging.columns.find(
      (c) => c.name === (this.options.partitionTime === 'end' ? 'start' : 'end'),
    );
    const timeExpr = (c: typeof timeCol): string =>
      c ? `CASE WHEN isnan(s.${c.stageName}) THEN NULL ELSE s.${c.stageName} END` : 'NULL';
    // Records without a usable time go to 1970-01-01 hour 00, where they are easy to find.
    const ts = `make_timestamp(CAST(coalesce(${timeExpr(timeCol)}, ${timeExpr(other)}, 0) AS BIGINT) * 1000000)`;
    const parts = [
      `strftime(${ts}, '%Y')`,
      `strftime(${ts}, '%m')`,
      `strftime(${ts}, '%d')`,
      `strftime(${ts}, '%H')`,
    ];
    const result = await this.con.run(
      `INSERT INTO ${PENDING} (${[...PARTS, ...names].map(quoteIdent).join(', ')})
SELECT ${[...parts, ...exprs].join(', ')}
FROM ${staging.table} s
${joins.join('\n')}`,
    );
    this.pendingRows += result.rowsChanged;
  }

  private async flush(): Promise<void> {
    if (this.pendingRows === 0) return;
    const batchDir = join(this.options.dir, `.flowlens-write-${process.pid}-${this.flushes++}`);
    // Written beside the lake first, then moved into place file by file, so readers never see
    // half-written files under the partitions.
    rmSync(batchDir, { recursive: true, force: true });
    const cols = [...this.columns.keys()].map(quoteIdent).join(', ');
    await this.con.run(
      `COPY (SELECT ${cols}, ${PARTS.join(', ')} FROM ${PENDING}) TO ${quoteText(batchDir)}
       (FORMAT PARQUET, PARTITION_BY (${PARTS.join(', ')}), FILENAME_PATTERN 'flows-{uuid}')`,
    );
    this.records += this.pendingRows;
    this.pendingRows = 0;
    await this.con.run(`DELETE FROM ${PENDING}`);
    for (const file of walk(batchDir)) {
      const rel = relative(batchDir, file);
      const size = statSync(file).size;
      if (this.options.onFile) await this.options.onFile(file, rel);
      this.files++;
      this.bytes += size;
    }
    rmSync(batchDir, { recursive: true, force: true });
  }
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.name.endsWith('.parquet')) out.push(p);
  }
  return out.sort();
}
