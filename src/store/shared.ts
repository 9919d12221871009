import { resolve } from 'node:path';
import { RemoteStore } from './remote.js';
import type { StoreSettings } from './store.js';
import type { QueryParam, QueryRow } from './wire.js';

/**
 * Read access to a store file held open by this process: what a dashboard or report queries
 * while the service appends. Queries run on the same DuckDB instance as the appends (one
 * instance per file per process), on a connection of their own, so they see committed inputs.
 */
export interface StoreReader {
  readonly path: string;
  query(sql: string, params?: readonly QueryParam[]): Promise<readonly QueryRow[]>;
  /** Brings the rollups up to every input committed so far (what a dashboard reads). */
  syncRollups(): Promise<number>;
}

/** A counted use of a shared store; `release` closes the store when the last user lets go. */
export interface StoreHandle extends StoreReader {
  readonly store: RemoteStore;
  release(): Promise<void>;
}

interface Entry {
  readonly opening: Promise<RemoteStore>;
  users: number;
}

const open = new Map<string, Entry>();
let opened = 0;

/** How many times this process opened a store file (each a DuckDB instance); for tests. */
export function storesOpened(): number {
  return opened;
}

/**
 * The process's store for `path`, opened on first use: the store sink and every reader of the
 * same file share one DuckDB instance (DuckDB allows one writing instance per file). The
 * settings of the first user win.
 */
export async function acquireStore(path: string, settings: StoreSettings = {}): Promise<StoreHandle> {
  const key = resolve(path);
  let entry = open.get(key);
  if (!entry) {
    const opening = RemoteStore.open(path, settings);
    opened++;
    entry = { opening, users: 0 };
    open.set(key, entry);
    opening.catch(() => open.delete(key));
  }
  entry.users++;
  let store: RemoteStore;
  try {
    store = await entry.opening;
  } catch (err) {
    entry.users--;
    throw err;
  }
  let released = false;
  const held = entry;
  return {
    path,
    store,
    query: (sql, params) => store.query(sql, params),
    syncRollups: () => store.syncRollups(),
    async release() {
      if (released) return;
      released = true;
      held.users--;
      if (held.users > 0) return;
      if (open.get(key) === held) open.delete(key);
      await store.close();
    },
  };
}

/** A reader of the store file this process already holds open, if any (see acquireStore). */
export function openStoreIn(path: string): Promise<StoreHandle> | undefined {
  return open.has(resolve(path)) ? acquireStore(path) : undefined;
}
