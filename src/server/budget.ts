/**
 * Bytes of request bodies the server holds at once, across every request: a request that
 * would go past it is refused (503 with Retry-After) instead of buffered, so concurrent large
 * requests cannot exhaust memory.
 */
export class ByteBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes n bytes; false (nothing taken) when that would pass the limit. */
  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

/** One request's share of the budget, given back once when the request is done. */
export class BodyLease {
  private held = 0;

  constructor(private readonly budget: ByteBudget) {}

  take(n: number): boolean {
    if (!this.budget.take(n)) return false;
    this.held += n;
    return true;
  }

  release(): void {
    this.budget.give(this.held);
    this.held = 0;
  }
}
