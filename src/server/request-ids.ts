/**
 * Outcomes of recently ingested request ids (bounded, oldest forgotten first) and requests in
 * flight, so Firehose's retry of a batch gets the same answer without being ingested again.
 */
export class RecentRequests<T> {
  private readonly done = new Map<string, T>();
  private readonly inFlight = new Map<string, Promise<T>>();

  constructor(private readonly capacity: number) {}

  /** The remembered outcome of an id, if any. */
  outcome(id: string): T | undefined {
    return this.done.get(id);
  }

  running(id: string): Promise<T> | undefined {
    return this.inFlight.get(id);
  }

  /** Runs `work` for an id, remembering its outcome when `keep(result)` holds. */
  async run(id: string, work: () => Promise<T>, keep: (result: T) => boolean): Promise<T> {
    const p = work();
    this.inFlight.set(id, p);
    try {
      const result = await p;
      if (keep(result)) this.remember(id, result);
      return result;
    } finally {
      this.inFlight.delete(id);
    }
  }

  private remember(id: string, result: T): void {
    if (this.capacity === 0) return;
    this.done.delete(id);
    this.done.set(id, result);
    if (this.done.size > this.capacity) {
      const oldest = this.done.keys().next().value;
      if (oldest !== undefined) this.done.delete(oldest);
    }
  }
}
