import { FlowBatch, numColumn, StrColumnBuilder } from '../../src/batch/flow-batch.js';
import type { DeliverySettings } from '../../src/delivery/options.js';
import { DEFAULT_FIELDS, findField } from '../../src/fields/catalog.js';
import type { AttributeWriter, OtelMapping } from '../../src/schema/types.js';

const ACCOUNTS = ['123456789012', '210987654321'];
const REGIONS = ['us-east-1', 'eu-west-1'];
const ACTIONS = ['ACCEPT', 'REJECT'];

/**
 * A v2-format batch plus `region`, built column by column: deterministic, varied enough to
 * exercise every attribute kind (strings, ints, nulls), with a `record_uid` column.
 */
export function makeBatch(
  length: number,
  options: { sourceId?: string; firstLine?: number; start?: number } = {},
): FlowBatch {
  const sourceId = options.sourceId ?? 'test://batch';
  const first = options.firstLine ?? 1;
  const t0 = options.start ?? 1_700_000_000;
  const fields = [...DEFAULT_FIELDS, findField('region')!];
  const str = (f: (i: number) => string | null) => {
    const b = new StrColumnBuilder(length);
    for (let i = 0; i < length; i++) b.set(i, f(i));
    return b.build(length);
  };
  const num = (f: (i: number) => number) => {
    const c = numColumn(length);
    for (let i = 0; i < length; i++) c.values[i] = f(i);
    return c;
  };
  const columns = fields.map((field) => {
    switch (field.column) {
      case 'version':
        return num(() => 2);
      case 'account_id':
        return str((i) => ACCOUNTS[i % 2]!);
      case 'interface_id':
        return str((i) => `eni-${(i % 7).toString(16).padStart(17, '0')}`);
      case 'srcaddr':
        return str((i) => `10.0.${i % 5}.${(i * 7) % 250}`);
      case 'dstaddr':
        return str((i) => `172.16.${i % 3}.${(i * 11) % 250}`);
      case 'srcport':
        return num((i) => (i % 4 === 3 ? Number.NaN : 1024 + i));
      case 'dstport':
        return num((i) => [443, 80, 22][i % 3]!);
      case 'protocol':
        return num((i) => (i % 5 === 0 ? 17 : 6));
      case 'packets':
        return num((i) => 1 + i);
      case 'bytes':
        // Values past 2^32 check 64-bit integers end to end.
        return num((i) => (i % 10 === 0 ? 5_000_000_000 + i : 40 * (1 + i)));
      case 'start':
        return num((i) => t0 + i);
      case 'end':
        return num((i) => t0 + i + 60);
      case 'action':
        return str((i) => ACTIONS[i % 3 === 0 ? 1 : 0]!);
      case 'log_status':
        return str(() => 'OK');
      case 'region':
        return str((i) => REGIONS[Math.floor(i / 2) % 2]!);
      default:
        throw new Error(field.column);
    }
  });
  const positions = new Float64Array(length);
  for (let i = 0; i < length; i++) positions[i] = first + i;
  const batch = new FlowBatch(fields, columns, length, { id: sourceId }, positions);
  const uids = new StrColumnBuilder(length);
  for (let i = 0; i < length; i++) uids.set(i, `${sourceId}#${first + i}`);
  batch.extra.set('record_uid', uids.build(length));
  return batch;
}

/**
 * A small OTel mapping over the test batch (every AttributeWriter kind). The sink tests check
 * transport and encoding with it; mapping.test.ts runs the schema stage's own mapping end to end.
 */
export const testMapping: OtelMapping = {
  resourceKey: (b, i) => `${b.str('account_id', i)}|${b.str('region', i)}`,
  resource(b, i, out: AttributeWriter) {
    out.str('cloud.provider', 'aws');
    const account = b.str('account_id', i);
    if (account) out.str('cloud.account.id', account);
    const region = b.str('region', i);
    if (region) out.str('cloud.region', region);
  },
  timeSeconds: (b, i) => b.num('end', i),
  severityNumber: (b, i) => (b.str('action', i) === 'REJECT' ? 13 : 9),
  severityText: (b, i) => (b.str('action', i) === 'REJECT' ? 'WARN' : 'INFO'),
  body: (b, i) => b.line(i),
  attributes(b, i, out: AttributeWriter) {
    const s = (k: string, c: string) => {
      const v = b.str(c, i);
      if (v !== null) out.str(k, v);
    };
    const n = (k: string, c: string) => {
      const v = b.num(c, i);
      if (v !== null) out.int(k, v);
    };
    s('source.address', 'srcaddr');
    s('destination.address', 'dstaddr');
    n('source.port', 'srcport');
    n('destination.port', 'dstport');
    n('aws.vpc.flow.bytes', 'bytes');
    n('aws.vpc.flow.packets', 'packets');
    s('aws.vpc.flow.action', 'action');
    s('flowlens.record_uid', 'record_uid');
    out.dbl('test.ratio', (b.num('bytes', i) ?? 0) / 8);
    out.bool('test.rejected', b.str('action', i) === 'REJECT');
    out.strArray('test.tags', i % 2 === 0 ? ['even', 'ünïcode'] : []);
  },
};

/** The attributes a mapping writes for row i, as a plain object (the expected side of a test). */
export function expectedAttributes(
  mapping: OtelMapping,
  batch: FlowBatch,
  i: number,
  which: 'attributes' | 'resource' = 'attributes',
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const w: AttributeWriter = {
    str: (k, v) => {
      out[k] = v;
    },
    int: (k, v) => {
      out[k] = Math.trunc(v);
    },
    dbl: (k, v) => {
      out[k] = v;
    },
    bool: (k, v) => {
      out[k] = v;
    },
    strArray: (k, v) => {
      out[k] = [...v];
    },
  };
  mapping[which](batch, i, w);
  return out;
}

/** Fast retries for tests: real backoff logic, small windows. */
export function testSettings(overrides: Partial<DeliverySettings> = {}): DeliverySettings {
  return {
    maxInFlight: 4,
    maxRequestBytes: 16 * 1024,
    retry: { maxAttempts: 5, maxElapsedMs: 20_000, initialDelayMs: 20, maxDelayMs: 2_000 },
    ...overrides,
  };
}

export const quietContext = { log: (_m: string) => undefined, warn: (_m: string) => undefined };
