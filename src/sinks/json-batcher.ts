/**
 * Accumulates serialized documents into request bodies of bounded size: a JSON array or
 * newline-delimited. Holds at most one body's worth of text.
 */
export class JsonBatcher {
  private parts: string[] = [];
  private chars = 0;

  constructor(
    private readonly format: 'json' | 'ndjson',
    private readonly limit: number,
  ) {}

  get records(): number {
    return this.parts.length;
  }

  /** Adds one document; true when the body reached the size limit and should be sent. */
  add(json: string): boolean {
    this.parts.push(json);
    // Character count as a cheap stand-in for bytes; exact for ASCII, under for the rest.
    this.chars += json.length + 1;
    return this.chars >= this.limit;
  }

  /** The body so far, and a fresh start. */
  take(): { body: Buffer; records: number } {
    const records = this.parts.length;
    const text = this.format === 'json' ? `[${this.parts.join(',')}]` : `${this.parts.join('\n')}\n`;
    this.parts = [];
    this.chars = 0;
    return { body: Buffer.from(text, 'utf8'), records };
  }
}
