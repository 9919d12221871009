import { type DuckDBConnection, type DuckDBInstance, listValue } from '@duckdb/node-api';
import type { SinkResult } from '../../core/types.js';
import { DeliveryError } from '../../delivery/errors.js';
import { Delivery } from '../../delivery/queue.js';
import { openDatabase } from '../../store/store.js';
import type { AlertEvent } from '../book.js';
import type { Alert } from '../types.js';
import type { AlertOutput } from './output.js';

/** The table the dashboard reads; its columns are a contract (docs/alerts.md). */
export const CREATE_ALERTS_TABLE = `CREATE TABLE IF NOT EXISTS alerts (
  id VARCHAR PRIMARY KEY,
  rule VARCHAR,
  title VARCHAR,
  severity VARCHAR,
  mitre VARCHAR,
  key VARCHAR,
  first_seen TIMESTAMPTZ,
  last_seen TIMESTAMPTZ,
  count BIGINT,
  bytes BIGINT,
  packets BIGINT,
  sample_uids VARCHAR[],
  details JSON
)`;

const UPSERT = `INSERT OR REPLACE INTO alerts VALUES
  ($1, $2, $3, $4, $5, $6, CAST($7 AS TIMESTAMPTZ), CAST($8 AS TIMESTAMPTZ), $9, $10, $11, $12, CAST($13 AS JSON))`;

/**
 * Alerts into the `alerts` table of a DuckDB store: a row when an alert fires, replaced by its
 * final totals when its cooldown ends (or the run ends). Writes go through the Delivery queue
 * one at a time, so a failed write is retried and counted, never dropped.
 */
export class StoreAlertOutput implements AlertOutput {
  readonly name = 'store';
  private readonly delivery = new Delivery({ name: 'alerts store', maxInFlight: 1 });

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly con: DuckDBConnection,
  ) {}

  static async open(path: string): Promise<StoreAlertOutput> {
    const instance = await openDatabase(path, { create: true });
    const con = await instance.connect();
    try {
      await con.run(CREATE_ALERTS_TABLE);
    } catch (err) {
      con.closeSync();
      instance.closeSync();
      throw err;
    }
    return new StoreAlertOutput(instance, con);
  }

  async take(events: readonly AlertEvent[]): Promise<void> {
    // The row when an alert fires and when it is final; updates in between stay in memory.
    const rows = events.filter((e) => e.kind !== 'updated').map((e) => snapshot(e.alert));
    if (rows.length === 0) return;
    const con = this.con;
    await this.delivery.submit({
      records: rows.length,
      bytes: 0,
      async send() {
        try {
          for (const a of rows) {
            await con.run(UPSERT, [
              a.id,
              a.rule,
              a.title,
              a.severity,
              a.mitre,
              a.key,
              a.first_seen,
              a.last_seen,
              a.count,
              a.bytes,
              a.packets,
              listValue(a.sample_uids),
              JSON.stringify(a.details),
            ]);
          }
        } catch (err) {
          throw new DeliveryError(
            `alerts table: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
            true,
          );
        }
        return { delivered: rows.length, rejected: 0 };
      },
    });
  }

  async settle(): Promise<SinkResult> {
    await this.delivery.settled();
    return this.delivery.result();
  }

  async close(): Promise<SinkResult> {
    await this.delivery.drain();
    this.con.closeSync();
    this.instance.closeSync();
    return this.delivery.result();
  }
}

/** A copy of the alert as it is now (the book keeps updating the original). */
function snapshot(a: Alert): Alert {
  return { ...a, sample_uids: [...a.sample_uids], details: { ...a.details } };
}
