import { JsonBytes } from '../schema/json/bytes.js';
import type { RowJson } from '../schema/json/compile.js';

/**
 * Accumulates documents into request bodies of bounded size: a JSON array or newline-delimited.
 * Holds at most one body's worth of bytes. Each document is written straight into the body by
 * its schema's compiled writer (no per-record string).
 */
export class JsonBatcher {
  private readonly out: JsonBytes;
  private count = 0;

  constructor(
    private readonly format: 'json' | 'ndjson',
    private readonly limit: number,
  ) {
    this.out = new JsonBytes(Math.min(limit, 1 << 20) + 4096);
  }

  get records(): number {
    return this.count;
  }

  /** Adds row i as `row` writes it; true when the body reached the size limit and should be sent. */
  add(row: RowJson, i: number): boolean {
    const out = this.out;
    if (this.format === 'json') out.byte(this.count === 0 ? 0x5b : 0x2c); // '[' or ','
    row(out, i);
    if (this.format === 'ndjson') out.byte(0x0a);
    this.count++;
    return out.pos >= this.limit;
  }

  /** The body so far (its own copy), and a fresh start. */
  take(): { body: Buffer; records: number } {
    const records = this.count;
    if (this.format === 'json') {
      if (records === 0) this.out.byte(0x5b);
      this.out.byte(0x5d); // ']'
    }
    const body = this.out.copy();
    this.out.reset();
    this.count = 0;
    return { body, records };
  }
}
