import type { Row } from '../reader.js';
import { type Scope, type Section, topSql } from '../scope.js';

export type Measure = 'bytes' | 'packets' | 'records';

export function parseMeasure(text: string | null): Measure {
  return text === 'packets' || text === 'records' ? text : 'bytes';
}

/** A ranked chart: top `keys` by `by`, over a rollup when one has them. */
export function top(
  scope: Scope,
  keys: readonly string[],
  by: Measure,
  options: {
    limit?: number;
    conditions?: readonly string[];
    /** Fields the store must have values in (default: keys). */
    needs?: readonly string[];
    /** Columns the source must have (default: keys and needs). */
    reads?: readonly string[];
    notNull?: readonly string[];
  } = {},
): Promise<Section> {
  const needs = options.needs ?? keys;
  return scope.section(needs, () => {
    const src = scope.source(options.reads ?? [...keys, ...needs], options.conditions ?? []);
    return scope.query(topSql(src, keys, by, options.limit ?? 10, options.notNull ?? keys), src.where.params);
  });
}

const INTERFACE_KEYS = ['interface_id', 'instance_id', 'vpc_id', 'subnet_id', 'account_id', 'region'];

export async function talkers(scope: Scope, by: Measure): Promise<Row> {
  const [sources, destinations, pairs, ports, interfaces, instances] = await Promise.all([
    top(scope, ['srcaddr'], by),
    top(scope, ['dstaddr'], by),
    top(scope, ['srcaddr', 'dstaddr'], by),
    top(scope, ['dstport', 'protocol'], by, { needs: ['dstport'], notNull: ['dstport'] }),
    top(scope, INTERFACE_KEYS, by, { needs: ['interface_id'], notNull: ['interface_id'] }),
    top(scope, ['instance_id', 'vpc_id', 'subnet_id', 'account_id', 'region'], by, {
      needs: ['instance_id'],
      notNull: ['instance_id'],
    }),
  ]);
  return { by, sources, destinations, pairs, ports, interfaces, instances };
}
