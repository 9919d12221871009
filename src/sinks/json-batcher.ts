/**
 * Accumulates serialized documents into request bodies of bounded size: a JSON array or
 * newline-delimited. Holds at most one body's worth of bytes.
 *
 * Each document is encoded into one growing buffer as it is added: joining the documents' strings
 * per body and encoding the joined text again cost more than serializing them (a CPU profile of
 * the http sink with the default enrichers had the join as its largest item).
 */
export class JsonBatcher {
  private buf: Buffer;
  private pos = 0;
  private count = 0;

  constructor(
    private readonly format: 'json' | 'ndjson',
    private readonly limit: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.min(limit, 1 << 20) + 4096);
  }

  get records(): number {
    return this.count;
  }

  /** Adds one document; true when the body reached the size limit and should be sent. */
  add(json: string): boolean {
    // at most 3 bytes per UTF-16 unit, plus the separator and the closing bracket
    const most = json.length * 3 + 2;
    if (this.pos + most > this.buf.length) this.grow(most);
    const buf = this.buf;
    if (this.format === 'json') buf[this.pos++] = this.count === 0 ? 0x5b : 0x2c; // '[' or ','
    this.pos += buf.write(json, this.pos, 'utf8');
    if (this.format === 'ndjson') buf[this.pos++] = 0x0a;
    this.count++;
    return this.pos >= this.limit;
  }

  /** The body so far (its own copy), and a fresh start. */
  take(): { body: Buffer; records: number } {
    const records = this.count;
    if (this.format === 'json') {
      if (records === 0) this.buf[this.pos++] = 0x5b;
      this.buf[this.pos++] = 0x5d; // ']'
    }
    const body = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    this.count = 0;
    return { body, records };
  }

  private grow(most: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + most + 4096));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}
