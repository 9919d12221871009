import { ConfigError, type OptionSpec, optionsOf, type ResolvedOptions } from '../config/options.js';
import { decodeInput } from '../decode/detect.js';
import { buildEnrichers, ENRICH_OPTIONS } from '../enrich/index.js';
import { FormatError, type ParsedFormat, parseFormat, unknownFieldWarnings } from '../fields/format.js';
import '../sinks/index.js';
import { RunStats } from '../core/stats.js';
import type { DecodeOptions, Decoder, Enricher, Sink } from '../core/types.js';
import {
  allSinkOptions,
  findSink,
  type SinkContext,
  type SinkEntry,
  sinkEntries,
} from '../sinks/registry.js';
import { SOURCE_OPTIONS, validateSourceOptions } from '../sources/options.js';
import { PIPELINE_OPTIONS } from './options.js';

export const DEFAULT_SINK = 'store';

/** Every option `ingest` (and the server and Lambda handler) accepts. */
/** `--to`: the sinks; its help lists the registered ones (INGEST_OPTIONS). */
export const TO_OPTION = {
  name: 'to',
  type: 'string',
  multiple: true,
  default: [DEFAULT_SINK],
  env: ['FLOWLENS_SINKS', 'FLOWLENS_TO'],
  description: 'Sink to send records to',
  placeholder: 'sink',
} as const satisfies OptionSpec;

export function INGEST_OPTIONS(): OptionSpec[] {
  return dedupe([
    ...PIPELINE_OPTIONS,
    {
      ...TO_OPTION,
      description: `${TO_OPTION.description}: ${sinkEntries()
        .map((e) => e.name)
        .join(', ')}`,
    },
    ...SOURCE_OPTIONS,
    ...ENRICH_OPTIONS,
    ...allSinkOptions(),
  ]);
}

function dedupe(specs: OptionSpec[]): OptionSpec[] {
  const seen = new Set<string>();
  const out: OptionSpec[] = [];
  for (const s of specs) {
    if (seen.has(s.name)) continue;
    seen.add(s.name);
    out.push(s);
  }
  return out;
}

export interface BuildContext {
  readonly env: NodeJS.ProcessEnv;
  log(message: string): void;
  readonly stats?: RunStats;
}

/**
 * Builds the sinks named by `--to` (validated before any input is read). Only the pipeline
 * builds sinks: fronts get them through buildStages or SharedPipeline.
 */
export async function buildSinks(options: ResolvedOptions, context: SinkContext): Promise<Sink[]> {
  const entries = sinkEntriesOf(options, '--to');
  const sinks: Sink[] = [];
  try {
    for (const entry of entries) sinks.push(await (await entry.load()).create(options, context));
  } catch (err) {
    for (const s of sinks) await s.close().catch(() => undefined);
    throw err;
  }
  return sinks;
}

/** The registered sinks `--to` names; a ConfigError naming `flag` for an unknown one. */
export function sinkEntriesOf(options: ResolvedOptions, flag: string): SinkEntry[] {
  const names = optionsOf([TO_OPTION], options).to;
  return names.map((name) => {
    const entry = findSink(name);
    if (!entry) {
      const known = sinkEntries()
        .map((e) => e.name)
        .join(', ');
      throw new ConfigError(`${flag}: unknown sink "${name}" (available: ${known})`);
    }
    return entry;
  });
}

/**
 * Enrichers run on decode threads. `uid` stays on the main thread: a new 32-character string
 * per record costs more to copy between threads than to make.
 */
const THREAD_ENRICHERS = ['protocol', 'tcp-flags', 'network', 'geo', 'community-id'];

/** The stages every front runs, built once from resolved options (see buildStages). */
export interface Stages {
  readonly decode: Decoder;
  readonly decodeOptions: Omit<DecodeOptions, 'stats'>;
  readonly enrichers: readonly Enricher[];
  readonly sinks: readonly Sink[];
  readonly stats: RunStats;
}

/**
 * The one pipeline builder: validates the options, builds the enrichers and the sinks named by
 * `--to` (side by side: the store opens DuckDB on its thread while the geo tables load here)
 * and the decode settings. Every front runs them through SharedPipeline: the CLI for one run
 * (runOnce), the server and the Lambda for the life of the process.
 */
export async function buildStages(options: ResolvedOptions, context: BuildContext): Promise<Stages> {
  const stats = context.stats ?? new RunStats();
  validateSourceOptions(options);
  const format = typeof options.format === 'string' ? formatOption(options.format) : undefined;
  for (const warning of unknownFieldWarnings('--format', format?.unknown ?? [])) stats.warn(warning);
  const [enriched, built] = await Promise.allSettled([
    buildEnrichers(options, { warn: (message) => stats.warn(message) }),
    buildSinks(options, { env: context.env, stats, log: context.log }),
  ]);
  if (enriched.status === 'rejected') {
    if (built.status === 'fulfilled') for (const s of built.value) await s.close().catch(() => undefined);
    throw enriched.reason;
  }
  if (built.status === 'rejected') throw built.reason;
  const sinks = built.value;
  const enrichers = enriched.value.filter((e) => !derivedByEverySink(e, sinks));
  // With one sink and nothing else reading the batches, that sink may take text lines as they are.
  const only = sinks.length === 1 && enrichers.length === 0 ? sinks[0]! : undefined;
  const lineTranscoder = only?.lineTranscoder ? () => only.lineTranscoder!() : undefined;
  return {
    decode: decodeInput,
    decodeOptions: {
      ...(format ? { format } : {}),
      batchSize: optionsOf(PIPELINE_OPTIONS, options)['batch-size'],
      ...(typeof options['decode-threads'] === 'number' ? { threads: options['decode-threads'] } : {}),
      keepLineText: sinks.some((s) => s.wantsLineText === true),
      ...(lineTranscoder ? { lineTranscoder } : {}),
      enrich: { enrichers, options, onThreads: THREAD_ENRICHERS },
    },
    enrichers,
    sinks,
    stats,
  };
}

/** True when every sink computes the enricher's columns itself: its work would be thrown away. */
function derivedByEverySink(enricher: Enricher, sinks: readonly Sink[]): boolean {
  return (
    sinks.length > 0 &&
    enricher.columns.length > 0 &&
    sinks.every((s) => enricher.columns.every((c) => s.derivesColumns?.includes(c) === true))
  );
}

/** --format parsed; a bad one is a bad option (ConfigError), like any other. */
function formatOption(spec: string): ParsedFormat {
  try {
    return parseFormat(spec);
  } catch (err) {
    if (err instanceof FormatError) throw new ConfigError(err.message);
    throw err;
  }
}
