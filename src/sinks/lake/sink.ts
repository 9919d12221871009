import { createReadStream, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { FlowBatch, SourceRef } from '../../batch/flow-batch.js';
import { ConfigError, optionsOf, type ResolvedOptions } from '../../config/options.js';
import { type Sink, type SinkCheckpoint, type SinkResult, settledCheckpoint } from '../../core/types.js';
import { SOURCE_OPTIONS } from '../../sources/options.js';
import { createS3Client, s3ErrorText } from '../../sources/s3-client.js';
import { LakeWriter } from '../../store/lake.js';
import type { SinkContext } from '../registry.js';
import { LAKE_OPTIONS } from './options.js';

/** Parses s3://bucket/prefix into its parts; the prefix has no leading or trailing slash. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m?.[1]) throw new ConfigError(`--lake-dir: expected s3://bucket/prefix (got ${JSON.stringify(uri)})`);
  return { bucket: m[1], prefix: (m[2] ?? '').replace(/\/+$/, '') };
}

/**
 * The `lake` sink: Parquet files under year=/month=/day=/hour=, written by DuckDB. For an
 * s3:// lake the files are written to a scratch directory and uploaded, then removed.
 */
export async function create(options: ResolvedOptions, _context: SinkContext): Promise<Sink> {
  const o = optionsOf([...LAKE_OPTIONS, ...SOURCE_OPTIONS], options);
  const target = options['lake-dir'];
  if (typeof target !== 'string')
    throw new ConfigError('--to lake needs --lake-dir DIR or s3://bucket/prefix');
  const s3 = target.startsWith('s3://') ? parseS3Uri(target) : undefined;
  const client = s3
    ? createS3Client({
        endpoint: o['endpoint-url'],
        region: o.region,
      })
    : undefined;
  const scratch = s3 ? mkdtempSync(join(tmpdir(), 'flowlens-lake-')) : undefined;
  const errors: string[] = [];
  let uploaded = 0;
  const onFile = async (file: string, rel: string): Promise<void> => {
    const key = rel.split(/[\\/]/).join('/');
    if (s3 && client) {
      const fullKey = s3.prefix ? `${s3.prefix}/${key}` : key;
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: s3.bucket,
            Key: fullKey,
            Body: createReadStream(file),
            ContentLength: statSync(file).size,
            ContentType: 'application/vnd.apache.parquet',
          }),
        );
        uploaded++;
      } catch (err) {
        throw new Error(`lake: uploading s3://${s3.bucket}/${fullKey}: ${s3ErrorText(err)}`);
      } finally {
        rmSync(file, { force: true });
      }
      return;
    }
    const dest = join(target, rel);
    mkdirSync(dirname(dest), { recursive: true });
    renameSync(file, dest);
  };
  const writer = await LakeWriter.open({
    dir: scratch ?? target,
    partitionTime: options['lake-partition-time'] === 'start' ? 'start' : 'end',
    fileRecords: o['lake-file-records'] ?? 1_000_000,
    onFile,
  });
  let staged = 0;
  return {
    name: 'lake',
    async write(batch: FlowBatch): Promise<void> {
      await writer.append(batch);
    },
    async endInput(source: SourceRef): Promise<void> {
      await writer.endInput(source.id);
    },
    async abortInput(source: SourceRef): Promise<void> {
      await writer.abortInput(source.id);
    },
    async checkpoint(): Promise<SinkCheckpoint> {
      // Records of ended inputs are in the lake's open files; a file is written out when full or at close.
      return settledCheckpoint({ delivered: writer.records, rejected: 0, failed: 0, errors: [...errors] });
    },
    async close(): Promise<SinkResult> {
      try {
        await writer.close();
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      } finally {
        if (scratch) rmSync(scratch, { recursive: true, force: true });
        client?.destroy();
      }
      staged = writer.records;
      return {
        delivered: errors.length ? 0 : staged,
        rejected: 0,
        failed: errors.length ? staged : 0,
        errors,
        details: { files: writer.files, bytes: writer.bytes, ...(s3 ? { uploaded } : {}), lake: target },
      };
    },
  };
}
