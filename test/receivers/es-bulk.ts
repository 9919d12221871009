import { type ReceivedRequest, TestHttpServer } from './http-server.js';

/** What the test cluster does with one bulk item. */
export type ItemFate =
  | 'create'
  | 'throttle'
  | { readonly status: number; readonly type: string; readonly reason: string };

/**
 * An Elasticsearch-compatible `_bulk` endpoint: parses NDJSON action/source pairs, keeps
 * documents by `_id` (a second `create` of an id answers 409 version_conflict_engine_exception),
 * and answers in the real response format `{took, errors, items: [{create: {...}}]}`.
 */
export class EsBulkReceiver {
  readonly docs = new Map<string, Record<string, unknown>>();
  readonly indices = new Set<string>();
  readonly server: TestHttpServer;
  /** How often each id was stored (must never exceed 1). */
  readonly stores = new Map<string, number>();
  private autoId = 0;

  constructor(
    private readonly fate: (id: string, attempt: number) => ItemFate = () => 'create',
    requestPlan?: (req: ReceivedRequest) => 'ok' | { status: number; body: string; retryAfter?: string },
  ) {
    const attempts = new Map<string, number>();
    this.server = new TestHttpServer((req) => {
      const planned = requestPlan?.(req) ?? 'ok';
      if (planned !== 'ok') {
        return {
          kind: 'status',
          status: planned.status,
          body: planned.body,
          headers: {
            'content-type': 'application/json',
            ...(planned.retryAfter ? { 'retry-after': planned.retryAfter } : {}),
          },
        };
      }
      if (!req.path.endsWith('/_bulk'))
        return { kind: 'status', status: 404, body: '{"error":"no handler"}' };
      return {
        kind: 'body',
        contentType: 'application/json',
        body: this.bulk(req.body.toString('utf8'), attempts),
      };
    });
  }

  get url(): string {
    return this.server.url;
  }

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private bulk(text: string, attempts: Map<string, number>): string {
    const lines = text.split('\n');
    if (lines[lines.length - 1] !== '') throw new Error('bulk body must end with a newline');
    lines.pop();
    if (lines.length % 2 !== 0) throw new Error('bulk body: action without source');
    const items: unknown[] = [];
    let errors = false;
    for (let l = 0; l < lines.length; l += 2) {
      const action = JSON.parse(lines[l]!) as { create?: { _index: string; _id?: string } };
      const source = JSON.parse(lines[l + 1]!) as Record<string, unknown>;
      if (!action.create) throw new Error(`unexpected action ${lines[l]}`);
      const index = action.create._index;
      this.indices.add(index);
      const id = action.create._id ?? `auto-${++this.autoId}`;
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      const fate = this.fate(id, attempt);
      let item: Record<string, unknown>;
      if (fate === 'throttle') {
        errors = true;
        item = {
          _index: index,
          _id: id,
          status: 429,
          error: {
            type: 'es_rejected_execution_exception',
            reason: 'rejected execution of coordinating operation',
          },
        };
      } else if (fate !== 'create') {
        errors = true;
        item = {
          _index: index,
          _id: id,
          status: fate.status,
          error: { type: fate.type, reason: fate.reason },
        };
      } else if (this.docs.has(id)) {
        errors = true;
        item = {
          _index: index,
          _id: id,
          status: 409,
          error: {
            type: 'version_conflict_engine_exception',
            reason: `[${id}]: version conflict, document already exists`,
          },
        };
      } else {
        this.docs.set(id, source);
        this.stores.set(id, (this.stores.get(id) ?? 0) + 1);
        item = { _index: index, _id: id, _version: 1, result: 'created', status: 201 };
      }
      items.push({ create: item });
    }
    return JSON.stringify({ took: 3, errors, items });
  }
}
