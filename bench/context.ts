import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type GroundTruth, type SampleSpec, writeSample } from '../src/generate/index.js';
import type { BenchContext, DataFile } from './scenarios/types.js';

/** Settings the parent hands to each child process. */
export interface BenchSettings {
  readonly records: number;
  readonly largeRecords: number;
  readonly quick: boolean;
  readonly outDir: string;
}

/** The cache file name of a data spec: readable prefix + a hash of the whole spec. */
function dataName(spec: SampleSpec): string {
  const keys = Object.keys(spec).sort() as (keyof SampleSpec)[];
  const canonical = JSON.stringify(keys.map((k) => [k, spec[k]]));
  const hash = createHash('sha256').update(canonical).digest('hex').slice(0, 10);
  const kind = spec.output === 'parquet' ? 'parquet' : spec.output === 'cloudwatch' ? 'cwl' : 'log';
  const ext = spec.output === 'parquet' ? '.parquet' : spec.gzip ? `.${kind}.gz` : `.${kind}`;
  return `v${spec.format ? 'custom' : (spec.version ?? '2')}-${spec.records ?? 'default'}-${hash}${ext}`;
}

export function createContext(settings: BenchSettings, scenario: string): BenchContext {
  const dataDir = join(settings.outDir, 'data');
  return {
    records: settings.records,
    largeRecords: settings.largeRecords,
    quick: settings.quick,
    outDir: settings.outDir,
    async dataFile(spec: SampleSpec): Promise<DataFile> {
      await mkdir(dataDir, { recursive: true });
      const path = join(dataDir, dataName(spec));
      const truthPath = `${path}.truth.json`;
      try {
        const truth = JSON.parse(await readFile(truthPath, 'utf8')) as GroundTruth;
        const { size } = await stat(path);
        return { path, bytes: size, truth };
      } catch {
        // not cached yet (or a previous run was interrupted): generate it
      }
      process.stderr.write(`bench: generating ${path} …\n`);
      const partial = `${path}.partial`;
      const truth = await writeSample(partial, spec);
      await rename(partial, path);
      await writeFile(truthPath, JSON.stringify(truth));
      const { size } = await stat(path);
      return { path, bytes: size, truth };
    },
    async scratchDir(): Promise<string> {
      const dir = join(settings.outDir, 'scratch', scenario);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      return dir;
    },
    log(message: string): void {
      process.stderr.write(`bench ${scenario}: ${message}\n`);
    },
  };
}
