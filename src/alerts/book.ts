import { hash } from 'node:crypto';
import type { Alert, Hit } from './types.js';

/** What happened to an alert: it fired (notify), took a repeat (update), or its cooldown ended. */
export type AlertEvent = { readonly kind: 'fired' | 'updated' | 'closed'; readonly alert: Alert };

const MAX_SAMPLES = 5;
/** Open alerts kept at most; past this the oldest closes early (its state is final anyway). */
const MAX_OPEN = 100_000;

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/**
 * Groups hits into alerts: one per rule and key while repeats keep coming within the cooldown
 * (a hit whose first record is at most `cooldown` seconds after the open alert's last record
 * updates it); after that, the next hit fires a new alert. Ids are stable: the same data gives
 * the same ids on every run (sha1 of rule, key and first_seen).
 */
export class AlertBook {
  private readonly open = new Map<string, { alert: Alert; last: number; window: number }>();
  fired = 0;
  updated = 0;

  constructor(private readonly cooldownSeconds: number) {}

  add(hit: Hit, out: AlertEvent[]): void {
    const id = `${hit.rule.id}\u0000${hit.key}`;
    const current = this.open.get(id);
    if (current && hit.first <= current.last + this.cooldownSeconds) {
      const a = current.alert;
      a.count += hit.count;
      a.bytes += hit.bytes;
      a.packets += hit.packets;
      if (hit.last > current.last) {
        current.last = hit.last;
        a.last_seen = iso(hit.last);
      }
      for (const uid of hit.sampleUids) if (a.sample_uids.length < MAX_SAMPLES) a.sample_uids.push(uid);
      a.details.windows++;
      if (hit.value > a.details.value) a.details.value = hit.value;
      this.updated++;
      out.push({ kind: 'updated', alert: a });
      return;
    }
    if (current) {
      this.open.delete(id);
      out.push({ kind: 'closed', alert: current.alert });
    }
    const alert: Alert = {
      id: hash('sha1', `${hit.rule.id}|${hit.key}|${hit.first}`, 'hex').slice(0, 20),
      rule: hit.rule.id,
      title: hit.rule.title,
      severity: hit.rule.severity,
      mitre: hit.rule.mitre,
      key: hit.key,
      first_seen: iso(hit.first),
      last_seen: iso(hit.last),
      count: hit.count,
      bytes: hit.bytes,
      packets: hit.packets,
      sample_uids: hit.sampleUids.slice(0, MAX_SAMPLES),
      details: {
        group: hit.group,
        measure: hit.measure,
        value: hit.value,
        threshold: hit.threshold,
        window_seconds: hit.rule.windowSeconds,
        windows: 1,
        ...hit.extra,
      },
    };
    if (this.open.size >= MAX_OPEN) {
      const [oldest] = this.open;
      if (oldest) {
        this.open.delete(oldest[0]);
        out.push({ kind: 'closed', alert: oldest[1].alert });
      }
    }
    this.open.set(id, { alert, last: hit.last, window: hit.rule.windowSeconds });
    this.fired++;
    out.push({ kind: 'fired', alert });
  }

  /**
   * Closes alerts no repeat can reach any more: the window that could hold a record within the
   * cooldown has closed by the watermark `time` (record time, Unix seconds).
   */
  expire(time: number, out: AlertEvent[]): void {
    for (const [id, entry] of this.open) {
      if (entry.last + this.cooldownSeconds + entry.window < time) {
        this.open.delete(id);
        out.push({ kind: 'closed', alert: entry.alert });
      }
    }
  }

  /** Closes every open alert (end of a run or invocation). */
  closeAll(out: AlertEvent[]): void {
    for (const entry of this.open.values()) out.push({ kind: 'closed', alert: entry.alert });
    this.open.clear();
  }
}
