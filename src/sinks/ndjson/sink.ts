import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { FlowBatch } from '../../batch/flow-batch.js';
import type { ResolvedOptions } from '../../config/options.js';
import type { Sink, SinkCheckpoint, SinkResult } from '../../core/types.js';
import { documentSchema, schemaOptionsFrom } from '../../schema/index.js';
import { JsonBytes } from '../../schema/json/bytes.js';
import type { SchemaName } from '../../schema/types.js';
import type { SinkContext } from '../registry.js';

/** Output is written in pieces of about this many bytes. */
const FLUSH_BYTES = 256 * 1024;

/** The reader of our output went away (`flowlens parse … | head`): stop quietly. */
export class OutputClosedError extends Error {
  override name = 'OutputClosedError';
}

/**
 * One JSON document per record, one per line, to a file or stdout. Writes wait for the
 * stream to drain, so a slow reader slows the pipeline instead of filling memory.
 */
export async function create(options: ResolvedOptions, _context: SinkContext): Promise<Sink> {
  const path = typeof options['ndjson-path'] === 'string' ? options['ndjson-path'] : '-';
  const schema = documentSchema(
    (options.schema as SchemaName | undefined) ?? 'raw',
    schemaOptionsFrom(options),
  );
  const out: Writable = path === '-' ? process.stdout : createWriteStream(path);
  let failure: Error | undefined;
  let closed = false;
  const onError = (err: NodeJS.ErrnoException): void => {
    failure =
      err.code === 'EPIPE' ? new OutputClosedError(`${label(path)}: output closed by the reader`) : err;
  };
  out.on('error', onError);
  if (path !== '-') {
    // Surface an unwritable path now, not at the first batch.
    await new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', (err) => reject(new Error(`--ndjson-path ${path}: ${(err as Error).message}`)));
    });
  }
  let delivered = 0;
  const lines = new JsonBytes(FLUSH_BYTES + 64 * 1024);

  const write = async (chunk: Buffer): Promise<void> => {
    if (failure) throw failure;
    if (!out.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          out.off('drain', done);
          out.off('error', done);
          out.off('close', done);
          resolve();
        };
        out.on('drain', done);
        out.on('error', done);
        out.on('close', done);
      });
    }
    if (failure) throw failure;
  };

  return {
    name: 'ndjson',
    async write(batch: FlowBatch): Promise<void> {
      const row = schema.compile(batch);
      let pending = 0;
      for (let i = 0; i < batch.length; i++) {
        row(lines, i);
        lines.byte(0x0a);
        pending++;
        if (lines.pos >= FLUSH_BYTES) {
          const chunk = lines.copy();
          lines.reset();
          await write(chunk);
          delivered += pending;
          pending = 0;
        }
      }
      if (pending > 0) {
        const chunk = lines.copy();
        lines.reset();
        await write(chunk);
        delivered += pending;
      }
    },
    async checkpoint(): Promise<SinkCheckpoint> {
      // An empty write's callback runs once every earlier write reached the file descriptor.
      if (!closed && !failure) await new Promise<void>((resolve) => out.write('', () => resolve()));
      const errors =
        failure && !(failure instanceof OutputClosedError) ? [`${label(path)}: ${failure.message}`] : [];
      return { settled: Promise.resolve({ delivered, rejected: 0, failed: 0, errors }) };
    },
    async close(): Promise<SinkResult> {
      if (!closed) {
        closed = true;
        if (path !== '-') {
          await new Promise<void>((resolve) => {
            out.end(() => resolve());
            out.once('error', () => resolve());
          });
        }
      }
      const errors =
        failure && !(failure instanceof OutputClosedError) ? [`${label(path)}: ${failure.message}`] : [];
      return {
        delivered,
        rejected: 0,
        failed: 0,
        errors,
        details: { path: label(path), ...(failure instanceof OutputClosedError ? { outputClosed: 1 } : {}) },
      };
    },
  };
}

function label(path: string): string {
  return path === '-' ? 'stdout' : path;
}
